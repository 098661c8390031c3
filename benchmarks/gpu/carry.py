"""Fill the folder that the book's GPU check takes to a CUDA machine with no package index.

    python benchmarks/gpu/carry.py [--python 3.12] [--out _build/gpu]

Run it where pip reaches an index. It resolves, for the target's Python on x86-64 Linux,
what running every page under nbval needs (gapkit's dependencies, nbval, jupytext, ipykernel,
and myst-nb for ``glue``), leaves out what the target's image already has (the names in
``image-packages.txt``: its PyTorch, NumPy, SciPy and the like), and downloads the rest as
wheels into ``<out>/wheels``, at ``constraints.txt``'s versions where it pins them. The paper's
embedding files (``GAPKIT_DATA_DIR``) are copied to ``<out>/paper-features``, checksums with
them. ``check.sh`` beside this file runs the check on the target from that folder.

Last line: ``carry: wheels=<n> mb=<size of the folder>``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# What bench_book.py needs beyond gapkit's own dependencies. ipykernel 7 loses replies to
# nbclient now and then (pyproject.toml).
RUNNER = ["nbval", "jupytext", "pytest", "ipykernel<7", "myst-nb", "pyyaml"]
# Needs PyTorch, so it comes without its requirements (resolving PyTorch's would pull in
# CUDA's wheels), and those of them that the image lacks are resolved with the rest.
ALONE = ["open_clip_torch"]
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64", "any"]


def name_of(requirement: str) -> str:
    """A requirement's project name, normalised as PyPI compares names."""
    name = re.match(r"[A-Za-z0-9._-]+", requirement.strip()).group(0)
    return re.sub(r"[-_.]+", "-", name).lower()


def image_packages() -> set[str]:
    lines = (HERE / "image-packages.txt").read_text().splitlines()
    return {name_of(line) for line in lines if line.strip() and not line.startswith("#")}


def gapkit_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project["dependencies"]


def pip(*args: str, target: str) -> None:
    """pip for the target: its Python, binary wheels only."""
    subprocess.run([sys.executable, "-m", "pip", *args, "--only-binary=:all:",
                    "--python-version", target, "--implementation", "cp",
                    *(f"--platform={p}" for p in PLATFORMS)], check=True)


def requires(wheel: Path) -> list[str]:
    """The unconditional requirements in a wheel's metadata."""
    with zipfile.ZipFile(wheel) as archive:
        meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(meta).decode().splitlines()
    return [line.split(":", 1)[1].strip() for line in lines
            if line.startswith("Requires-Dist:") and "extra ==" not in line]


def resolve(requirements: list[str], have: set[str], target: str, scratch: Path) -> list[str]:
    """Exact pins for what the target lacks. A requirement the image has is not resolved
    at all (resolving PyTorch would pull in CUDA's wheels); its own needs are the image's."""
    pins = [r for r in (ROOT / "constraints.txt").read_text().splitlines()
            if r.strip() and not r.startswith("#") and name_of(r) not in have]
    (scratch / "constraints.txt").write_text("\n".join(pins) + "\n")
    report = scratch / "report.json"
    pip("install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
        "--target", str(scratch / "never"), "-c", str(scratch / "constraints.txt"),
        *requirements, target=target)
    found = json.loads(report.read_text())["install"]
    return [f"{p['metadata']['name']}=={p['metadata']['version']}" for p in found
            if name_of(p["metadata"]["name"]) not in have]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="3.12", help="the target's Python (default 3.12)")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "gpu")
    args = parser.parse_args()
    have = image_packages()
    wanted = [r for r in gapkit_requirements() + RUNNER if name_of(r) not in have]
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        alone = [r for r in wanted if name_of(r) in map(name_of, ALONE)]
        pip("download", "--no-deps", "--quiet", "-d", str(scratch / "alone"),
            "-c", str(ROOT / "constraints.txt"), *alone, target=args.python)
        needs = [r for wheel in (scratch / "alone").glob("*.whl") for r in requires(wheel)]
        rest = [r for r in wanted + needs if r not in alone and name_of(r) not in have]
        pins = resolve(rest, have, args.python, scratch)
        wheels = args.out / "wheels"
        shutil.rmtree(wheels, ignore_errors=True)
        wheels.mkdir(parents=True)
        pip("download", "--no-deps", "--quiet", "-d", str(wheels), *pins, target=args.python)
        for wheel in (scratch / "alone").glob("*.whl"):
            shutil.copy2(wheel, wheels)
    data = os.environ.get("GAPKIT_DATA_DIR", "").strip()
    if data:
        shutil.copytree(data, args.out / "paper-features", dirs_exist_ok=True)
    else:
        print("GAPKIT_DATA_DIR is not set: the paper's files stay behind, and the check "
              "runs without them", file=sys.stderr)
    size = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(f"carry: wheels={len(list(wheels.glob('*.whl')))} mb={size / 2**20:.1f}")


if __name__ == "__main__":
    main()
