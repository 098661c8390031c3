"""The install files agree with each other, and nothing generated is committed."""

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def pyproject_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    listed = project["dependencies"] + extras["book"] + extras["test"]
    return {canonicalize_name(r.name): r.specifier for r in map(Requirement, listed)}


def pins():
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    pairs = (line.split("==") for line in lines if "==" in line)
    return {canonicalize_name(name): Version(version.strip()) for name, version in pairs}


def tracked_files() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.split()


def test_environment_yml_brings_python_and_node_and_pip_installs_the_pinned_rest():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [entry for entry in env["dependencies"] if isinstance(entry, str)]
    assert [entry.split(">")[0].split("=")[0] for entry in conda] == \
        ["python", "nodejs", "make", "pip"]
    assert "python=3.11" in conda
    (pip,) = [entry["pip"] for entry in env["dependencies"] if isinstance(entry, dict)]
    assert pip == ["-c constraints.txt", "-e .[book,test]"]  # what `make install` does
    assert "-c constraints.txt" in (ROOT / "Makefile").read_text()
    assert '-e ".[book,test]"' in (ROOT / "Makefile").read_text()


def test_the_repository_address_is_written_once():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    url = config["repository"]["url"]
    others = [path for path in tracked_files() if path != "_config.yml"
              and Path(ROOT / path).is_file() and url in (ROOT / path).read_text(errors="replace")]
    assert others == []


def test_the_built_wheel_holds_every_file_of_the_package(tmp_path):
    # What the Colab and Binder cell installs (`gapkit @ git+...`): an editable install reads
    # the sources in place, so only a built wheel shows a file the build leaves out.
    source, out = tmp_path / "source", tmp_path / "wheel"
    for path in filter(lambda path: (ROOT / path).is_file(), tracked_files()):
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / path, source / path)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
                    "--no-build-isolation", "--wheel-dir", str(out), str(source)], check=True)
    (wheel,) = out.glob("gapkit-*.whl")
    package = {path for path in tracked_files() if path.startswith("gapkit/")}
    assert package - set(zipfile.ZipFile(wheel).namelist()) == set()


def test_every_requirement_is_pinned_inside_its_range():
    pinned = pins()
    for name, specifier in pyproject_requirements().items():
        assert name in pinned, f"constraints.txt does not pin {name}"
        assert pinned[name] in specifier, f"{name}=={pinned[name]} is outside {specifier}"


def test_the_torch_pair_that_works_on_this_machine_is_pinned():
    pinned = pins()
    assert pinned["torch"] == Version("2.14.1")
    assert pinned["torchvision"] == Version("0.29.1")
    assert pinned["jupyter-book"] < Version("2")


def test_no_generated_files_are_committed():
    try:
        tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True,
                                 text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    bad = [path for path in tracked if path.endswith(".ipynb")
           or path.split("/")[0] in {"_build", ".venv", ".ci-cache"}
           or Path(path).name.startswith("features_")]
    assert bad == []
