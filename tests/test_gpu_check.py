"""The book's GPU check (issue "The book on a GPU"): `make gpu-check` on a GPU runner with
a package index, and benchmarks/gpu/ for a CUDA machine without one (carry.py fills a
folder here, check.sh runs the same pages from it there)."""

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
GPU = ROOT / "benchmarks" / "gpu"
spec = importlib.util.spec_from_file_location("carry", GPU / "carry.py")
carry = importlib.util.module_from_spec(spec)
spec.loader.exec_module(carry)


def test_the_gpu_check_runs_every_page_on_cuda_in_the_full_profile(tmp_path):
    result = subprocess.run(["make", "-n", "gpu-check", f"VENV={tmp_path / 'venv'}"],
                            cwd=ROOT, capture_output=True, text=True, check=True)
    (check,) = [line for line in result.stdout.splitlines() if "bench_book" in line]
    assert "GAPKIT_DEVICE=cuda GAPKIT_PROFILE=full" in check
    steps, twice = [line for line in result.stdout.splitlines() if "-k \"cuda" in line]
    assert "GAPKIT_DEVICE=cuda" in steps
    assert "tests/test_profiles.py tests/test_graphed.py" in steps  # and the CUDA graphs
    assert '-k "cuda and not deterministic"' in steps  # stops the check if it fails
    assert '-k "cuda and deterministic"' in twice  # after the pages
    lines = result.stdout.splitlines()
    assert lines.index(steps) < lines.index(check) < lines.index(twice)
    script = (GPU / "check.sh").read_text()
    assert ("profiles=(python3 -m pytest -q -p no:cacheprovider tests/test_profiles.py "
            "tests/test_graphed.py)") in script
    assert '"${profiles[@]}" -k "cuda and not deterministic"' in script
    assert '-k "cuda and deterministic" \\\n        || echo' in script  # a report only
    bench = (ROOT / "benchmarks" / "bench_book.py").read_text()
    assert "chapters.convert(ROOT" in bench  # every page of _toc.yml, under nbval
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "gpu.yml").read_text())
    (job,) = workflow["jobs"].values()
    assert "vars.GPU_RUNNER_LABEL" in " ".join(job["runs-on"])  # a configurable runner
    assert {"run": "make gpu-check"} in job["steps"]


def test_names_are_compared_as_pypi_compares_them():
    assert carry.name_of("open_clip_torch>=3.0,<4") == "open-clip-torch"
    assert carry.name_of("Jinja2==3.1.6") == "jinja2"
    assert carry.name_of("ipykernel<7") == "ipykernel"
    assert carry.name_of("zope.interface") == "zope-interface"


def test_what_the_image_has_is_never_carried():
    have = carry.image_packages()
    assert {"torch", "torchvision", "numpy", "scipy", "pytest"} <= have
    assert not any(line.startswith("#") for line in have)
    # what the pages need and no CUDA image is expected to have
    assert {"open-clip-torch", "nbval", "jupytext", "myst-nb", "ipykernel"}.isdisjoint(have)
    assert {carry.name_of(r) for r in carry.gapkit_requirements()} >= {"torch", "open-clip-torch"}


def test_a_wheels_unconditional_requirements_are_read(tmp_path):
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo-1.0.dist-info/METADATA", "\n".join([
            "Metadata-Version: 2.1", "Name: demo", "Version: 1.0",
            "Requires-Dist: torch>=2", "Requires-Dist: ftfy",
            'Requires-Dist: pytest; extra == "test"', ""]))
    assert carry.requires(wheel) == ["torch>=2", "ftfy"]


def test_the_check_says_what_is_missing_before_it_installs_anything(tmp_path):
    result = subprocess.run(["bash", str(GPU / "check.sh"), str(tmp_path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "run benchmarks/gpu/carry.py first" in result.stdout


def test_the_book_benchmark_runs_the_pages_asked_for(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_book.py"),
                             "--out", str(tmp_path), "no-such-page"],
                            capture_output=True, text=True, check=False,
                            env={**os.environ, "GAPKIT_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 1
    assert "no page matches no-such-page" in result.stderr


def test_a_device_torch_cannot_see_stops_the_check_before_any_page(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_book.py"),
                             "--out", str(tmp_path)], capture_output=True, text=True,
                            check=False, timeout=60,
                            env={**os.environ, "GAPKIT_DEVICE": "cuda:7",
                                 "GAPKIT_CACHE": str(tmp_path / "cache")})
    assert result.returncode != 0
    assert "GAPKIT_DEVICE='cuda:7'" in result.stderr
    assert not (tmp_path / "chapters").exists()  # no page was converted, none ran


def test_the_book_benchmark_reports_the_timings_of_the_runs_a_page_trained(tmp_path):
    import torch

    spec = importlib.util.spec_from_file_location("bench_book",
                                                  ROOT / "benchmarks" / "bench_book.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    runs = [(1000, 60.0, 3.0), (500, 20.0, 1.0)]  # steps, seconds, data seconds
    added = []
    for i, (steps, seconds, data) in enumerate(runs):
        added.append(tmp_path / f"run{i}.pt")
        torch.save({"history": {"step": [0.0, float(steps)]}, "seconds": seconds,
                    "data_seconds": data}, added[-1])
    line = bench.trained_line(added)
    # 60 ms and 40 ms a step: a mean of 50; 4 of 80 seconds producing batches
    assert line.split() == ["trained:", "runs=2", "steps=1500", "ms_per_step=50",
                            "data_share=0.05"]
    (tmp_path / "run0.pt").write_bytes(b"not a checkpoint")  # a report, not a stop
    assert "unreadable checkpoint run0.pt" in bench.trained_line(added)
