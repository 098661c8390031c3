import json
import subprocess
import sys

import matplotlib
import numpy as np
import pytest

from gapkit import cli, metrics


@pytest.fixture
def features(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 8)) + 1, rng.normal(size=(40, 8)) - 1
    np.save(tmp_path / "pairs.npy", np.stack([x, y]))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    return tmp_path


def test_json_output_has_every_metric(features, capsys):
    assert cli.main(["measure", str(features / "pairs.npy"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == set(metrics.LABELS)
    assert result["n"] == 40 and result["dim"] == 8
    assert result["linear_separability"] == 1.0


def test_two_files_give_the_same_numbers_as_one(features, capsys):
    cli.main(["measure", str(features / "pairs.npy"), "--json"])
    one = json.loads(capsys.readouterr().out)
    cli.main(["measure", str(features / "x.npy"), str(features / "y.npy"), "--json"])
    assert json.loads(capsys.readouterr().out) == one


def test_table_and_plot(features, capsys):
    out = features / "pairs.png"
    assert cli.main(["measure", str(features / "pairs.npy"), "--plot", str(out)]) == 0
    table = capsys.readouterr().out
    assert "relative modality gap" in table and "pairs" in table
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # drawn in the book's style (6 × 4.5 in at 150 dpi, cropped tight), which the
    # command's caller does not inherit
    from PIL import Image

    width, height = Image.open(out).size
    assert 600 < width <= 900 and 450 < height <= 675
    assert matplotlib.rcParams["savefig.bbox"] != "tight"
    assert matplotlib.rcParams["axes.spines.top"]


@pytest.mark.parametrize("plot, message", [
    ("nofolder/out.png", "no folder nofolder"),
    ("out.xyz", "name a kind of image matplotlib writes"),
])
def test_a_plot_that_cannot_be_saved_is_refused_before_measuring(
        features, capsys, monkeypatch, plot, message):
    monkeypatch.chdir(features)
    monkeypatch.setattr(cli.metrics, "measure", lambda *a, **k: pytest.fail("measured"))
    assert cli.main(["measure", "pairs.npy", "--plot", plot]) == 2
    assert message in capsys.readouterr().err


def bad(tmp_path, name, array):
    np.save(tmp_path / name, array)
    return str(tmp_path / name)


@pytest.mark.parametrize("make, message", [
    (lambda p: [str(p / "missing.npy")], "no such file"),
    (lambda p: [bad(p, "flat.npy", np.ones((3, 4)))], "must hold shape (2, N, D)"),
    (lambda p: [bad(p, "a.npy", np.ones((3, 4))), bad(p, "b.npy", np.ones((5, 4)))],
     "do not pair"),
    (lambda p: [bad(p, "nan.npy", np.full((2, 3, 4), np.nan))], "NaN or inf"),
    (lambda p: [bad(p, "zero.npy", np.zeros((2, 3, 4)))], "zero row"),
    (lambda p: [str(p / "x.npy")] * 3, "one (2, N, D) file or shard folder, or two"),
    (lambda p: [(p / "notes").mkdir() or str(p / "notes")], "holds no .npy shard files"),
])
def test_bad_input_exits_2_with_one_line(features, capsys, make, message):
    assert cli.main(["measure", *make(features)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_shard_folder_and_a_progress_bar(features, capsys, monkeypatch):
    cli.main(["measure", str(features / "pairs.npy"), "--json"])
    one = json.loads(capsys.readouterr().out)
    pairs = np.load(features / "pairs.npy")
    (features / "shards").mkdir()
    np.save(features / "shards" / "part-0.npy", pairs[:, :25])
    np.save(features / "shards" / "part-1.npy", pairs[:, 25:])
    monkeypatch.setattr(cli, "PROGRESS_ROWS", 10)
    assert cli.main(["measure", str(features / "shards"), "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == pytest.approx(one, rel=1e-12)
    assert "measuring:" in out.err and "/80.0 [" in out.err  # 2 passes x 40 rows


def test_the_progress_bar_starts_at_exactly_its_row_count(features, capsys, monkeypatch):
    for rows, shown in ((40, True), (41, False)):  # the pairs file holds 40
        monkeypatch.setattr(cli, "PROGRESS_ROWS", rows)
        assert cli.main(["measure", str(features / "pairs.npy"), "--json"]) == 0
        assert ("measuring:" in capsys.readouterr().err) is shown


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main([])
    assert stopped.value.code == 2 and "embed,measure" in capsys.readouterr().err


def test_the_module_and_console_script_run(features):
    result = subprocess.run([sys.executable, "-m", "gapkit", "measure",
                             str(features / "pairs.npy"), "--json"],
                            capture_output=True, text=True, check=True)
    assert json.loads(result.stdout)["n"] == 40
