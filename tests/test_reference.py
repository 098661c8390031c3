"""gapkit's reference: every public function and class has a docstring that says where the
book uses it (a chapter, a page, or the command line), as the API page shows it."""

import importlib
import inspect
import pkgutil
import re

import pytest

import gapkit

MODULES = [importlib.import_module(info.name) for info in
           pkgutil.walk_packages(gapkit.__path__, "gapkit.") if info.name != "gapkit.__main__"]
WHERE = re.compile(r"chapter|page|command|landing|`gapkit \w+`|the book", re.IGNORECASE)


def public(module):
    for name, obj in vars(module).items():
        if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
            continue
        if inspect.isfunction(obj) or inspect.isclass(obj):
            yield name, obj


@pytest.mark.parametrize("module", MODULES, ids=[m.__name__ for m in MODULES])
def test_every_public_function_says_where_the_book_uses_it(module):
    missing = [name for name, obj in public(module) if not obj.__doc__
               or not WHERE.search(obj.__doc__)]
    assert missing == []


@pytest.mark.parametrize("module", MODULES, ids=[m.__name__ for m in MODULES])
def test_every_public_function_has_a_docstring(module):
    assert [name for name, obj in public(module) if not (obj.__doc__ or "").strip()] == []
