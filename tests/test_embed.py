"""``gapkit embed`` end to end, offline: generated images + captions -> embed -> measure."""

import csv
import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from gapkit import cli, embed, models
from gapkit.data import World

N = 12


@pytest.fixture(autouse=True)
def on_cpu(monkeypatch):
    monkeypatch.setenv("GAPKIT_DEVICE", "cpu")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """The book's CLIP (random weights: the numbers need not mean anything) saved locally."""
    torch.manual_seed(0)
    return models.save(models.load("gapclip-tiny", device="cpu"),
                       tmp_path_factory.mktemp("model") / "tiny.pt")


def save_png(image: torch.Tensor, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = (image.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
    Image.fromarray(pixels).save(path)


@pytest.fixture
def folder(tmp_path):
    """N images of the book's world as PNG files (some in a sub-folder) and a captions CSV."""
    batch = World().sample(N, seed=0)
    rows = []
    for i, (image, caption) in enumerate(zip(batch.images, batch.captions, strict=True)):
        name = f"{'sub/' if i % 3 == 0 else ''}img{i:02d}.png"
        save_png(image, tmp_path / "images" / name)
        rows.append({"file": name, "caption": caption})
    with open(tmp_path / "captions.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, ["file", "caption"])
        writer.writeheader()
        writer.writerows(rows)
    return tmp_path


def run_embed(folder, checkpoint, *extra, out="features.npy"):
    return cli.main(["embed", "--model", "gapclip-tiny", "--pretrained", str(checkpoint),
                     "--images", str(folder / "images"),
                     "--captions", str(folder / "captions.csv"),
                     "--out", str(folder / out), "--batch-size", "5", "--workers", "0",
                     "--quiet", *extra])


def reference(folder, checkpoint):
    """The same pairs embedded directly with gapkit.models, from the PNG files."""
    model = models.load("gapclip-tiny", pretrained=checkpoint, device="cpu")
    with open(folder / "captions.csv") as f:
        rows = list(csv.DictReader(f))
    images = torch.stack([torch.from_numpy(np.array(Image.open(folder / "images" / r["file"])))
                          .permute(2, 0, 1).float() / 255 for r in rows])
    return (models.encode_images(model, images),
            models.encode_texts(model, [r["caption"] for r in rows]))


def test_embed_then_measure(folder, checkpoint, capsys):
    assert run_embed(folder, checkpoint) == 0
    assert f"{N} pairs" in capsys.readouterr().out
    features = np.load(folder / "features.npy")
    assert features.shape == (2, N, 64) and features.dtype == np.float32
    x, y = reference(folder, checkpoint)
    np.testing.assert_allclose(features[0], x, atol=1e-5)
    np.testing.assert_allclose(features[1], y, atol=1e-5)
    assert not (folder / "features.npy.parts").exists()
    assert cli.main(["measure", str(folder / "features.npy"), "--json"]) == 0
    measured = json.loads(capsys.readouterr().out)
    assert measured["n"] == N and measured["dim"] == 64


def test_workers_shards_and_a_folder_output_give_the_same_pairs(folder, checkpoint, capsys):
    assert run_embed(folder, checkpoint) == 0
    one = np.load(folder / "features.npy")
    assert run_embed(folder, checkpoint, "--workers", "2", "--shard-rows", "5",
                     out="shards") == 0
    assert sorted(p.name for p in (folder / "shards").glob("*.npy")) == [
        "part-000000.npy", "part-000001.npy", "part-000002.npy"]
    np.testing.assert_allclose(np.concatenate([np.load(p) for p in
                                               sorted((folder / "shards").glob("*.npy"))],
                                              axis=1), one, atol=1e-6)
    capsys.readouterr()
    cli.main(["measure", str(folder / "shards"), "--json"])
    from_folder = json.loads(capsys.readouterr().out)
    cli.main(["measure", str(folder / "features.npy"), "--json"])
    assert from_folder == pytest.approx(json.loads(capsys.readouterr().out), abs=1e-6)


def test_random_weights_follow_the_seed_and_jsonl_captions(folder, capsys):
    with open(folder / "captions.csv") as f:
        rows = list(csv.DictReader(f))
    (folder / "captions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    outs = []
    for name, seed in (("a.npy", "1"), ("b.npy", "1"), ("c.npy", "2")):
        assert cli.main(["embed", "--model", "gapclip-tiny", "--images", str(folder / "images"),
                         "--captions", str(folder / "captions.jsonl"), "--seed", seed,
                         "--out", str(folder / name), "--workers", "0", "--quiet"]) == 0
        outs.append(np.load(folder / name))
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.allclose(outs[0], outs[2])


def test_an_interrupted_run_resumes_from_its_shards(folder, checkpoint, capsys, monkeypatch):
    assert run_embed(folder, checkpoint, out="fresh.npy") == 0
    fresh = np.load(folder / "fresh.npy")
    broken = folder / "images" / "img10.png"  # in the third shard of 4 rows
    good = broken.read_bytes()
    broken.write_bytes(good[:40])  # a truncated PNG
    capsys.readouterr()
    assert run_embed(folder, checkpoint, "--shard-rows", "4") == 2
    err = capsys.readouterr().err
    assert "img10.png" in err and err.count("\n") == 1
    assert not (folder / "features.npy").exists()
    parts = folder / "features.npy.parts"
    assert sorted(p.name for p in parts.glob("*.npy")) == ["part-000000.npy", "part-000001.npy"]

    broken.write_bytes(good)
    read = []
    original = embed.load_image
    monkeypatch.setattr(embed, "load_image", lambda path: read.append(path.name) or
                        original(path))
    assert run_embed(folder, checkpoint, "--shard-rows", "4") == 0
    assert sorted(read) == ["img08.png", "img09.png", "img10.png", "img11.png"]
    np.testing.assert_allclose(np.load(folder / "features.npy"), fresh, atol=1e-6)
    assert not parts.exists()


def test_a_resumed_folder_output_holds_no_half_written_shard(folder, checkpoint):
    broken = folder / "images" / "img10.png"  # in the third shard of 4 rows
    good = broken.read_bytes()
    broken.write_bytes(good[:40])
    assert run_embed(folder, checkpoint, "--shard-rows", "4", out="shards") == 2
    orphan = folder / "shards.parts" / ".part-000002.npy.0123456789ab.partial"
    orphan.write_bytes(b"half a shard")  # what a write killed outright leaves
    broken.write_bytes(good)
    assert run_embed(folder, checkpoint, "--shard-rows", "4", out="shards") == 0
    assert not list((folder / "shards").glob(".*"))  # the folder became the output


@pytest.mark.parametrize("manifest", ['{"fingerprint": "another run"}', "{not json",
                                      "[]", "{}"])
def test_other_inputs_start_over(folder, checkpoint, capsys, manifest):
    parts = folder / "features.npy.parts"
    parts.mkdir()
    (parts / "manifest.json").write_text(manifest)  # another run's, or unreadable
    np.save(parts / "part-000000.npy", np.zeros((2, 4, 64), np.float32))
    assert run_embed(folder, checkpoint, "--shard-rows", "4") == 0
    assert "starting over" in capsys.readouterr().err
    assert np.abs(np.load(folder / "features.npy")[:, :4]).sum() > 0


def test_the_fingerprint_changes_with_everything_that_decides_the_numbers(folder,
                                                                           checkpoint):
    inputs = embed.pairs_inputs(folder / "images", folder / "captions.csv")
    base = dict(inputs=inputs, model="gapclip-tiny", pretrained=None, seed=0, shard_rows=4)
    one = embed._fingerprint(**base)
    assert isinstance(one, str) and one == embed._fingerprint(**base)  # and only those
    texts = [*inputs.texts[:-1], "another caption"]
    others = [{"inputs": dataclasses.replace(inputs, texts=texts)}, {"seed": 1},
              {"shard_rows": 5}, {"model": "ViT-B-32"}, {"pretrained": str(checkpoint)}]
    prints = {embed._fingerprint(**{**base, **other}) for other in others}
    assert one not in prints and len(prints) == len(others)


def test_a_run_returns_its_output_and_pairs_leave_no_classes_file(folder, checkpoint):
    inputs = embed.pairs_inputs(folder / "images", folder / "captions.csv")
    out = embed.run(inputs, "gapclip-tiny", folder / "features.npy",
                    pretrained=str(checkpoint), progress=False)
    assert out == folder / "features.npy" and out.is_file()
    assert not list(folder.glob("*.classes.npz"))


@pytest.mark.parametrize("bad", [{"batch_size": 0}, {"shard_rows": 0}, {"workers": -1}])
def test_each_bad_run_setting_is_refused_alone(folder, bad):
    inputs = embed.pairs_inputs(folder / "images", folder / "captions.csv")
    with pytest.raises(embed.EmbedError, match="must be at least 1"):
        embed.run(inputs, "gapclip-tiny", folder / "features.npy", **bad)


def test_the_smallest_run_settings_are_taken(folder):
    inputs = embed.pairs_inputs(folder / "images", folder / "captions.csv")
    out = embed.run(inputs, "gapclip-tiny", folder / "features.npy", batch_size=1,
                    shard_rows=1, workers=0, progress=False)
    assert np.load(out).shape == (2, N, 64)


def test_blank_lines_of_a_jsonl_captions_file_are_skipped(folder):
    with open(folder / "captions.csv") as f:
        rows = list(csv.DictReader(f))
    lines = [json.dumps(r) + "\n" for r in rows]
    (folder / "captions.jsonl").write_text("\n".join(lines) + "\n   \n")
    read = embed.pairs_inputs(folder / "images", folder / "captions.jsonl")
    assert read.texts == [r["caption"] for r in rows]


def test_zero_shot_classes(tmp_path, checkpoint, capsys):
    world = World()
    for label, name in enumerate(["red_circle", "blue_square", "green_triangle"]):
        for k, image in enumerate(world.sample(2 + label, seed=label).images):
            save_png(image, tmp_path / "classes" / name / f"{k}.png")
    (tmp_path / "classes" / ".ipynb_checkpoints").mkdir()  # neither is a class
    (tmp_path / "classes" / "README.txt").write_text("three classes")
    out = tmp_path / "zs.npy"
    assert cli.main(["embed", "--model", "gapclip-tiny", "--pretrained", str(checkpoint),
                     "--classes", str(tmp_path / "classes"), "--template", "a {} shape",
                     "--out", str(out), "--workers", "0", "--quiet"]) == 0
    features = np.load(out)
    classes = np.load(tmp_path / "zs.classes.npz")
    assert features.shape == (2, 9, 64)
    assert classes["names"].tolist() == ["blue_square", "green_triangle", "red_circle"]
    assert classes["prompts"][0] == "a blue square shape"
    assert classes["labels"].tolist() == [0] * 3 + [1] * 4 + [2] * 2
    model = models.load("gapclip-tiny", pretrained=checkpoint, device="cpu")
    np.testing.assert_allclose(classes["embeddings"],
                               models.encode_texts(model, list(classes["prompts"])), atol=1e-5)
    np.testing.assert_array_equal(features[1], classes["embeddings"][classes["labels"]])
    # a folder of shards keeps its classes inside it
    assert cli.main(["embed", "--model", "gapclip-tiny", "--pretrained", str(checkpoint),
                     "--classes", str(tmp_path / "classes"), "--template", "a {} shape",
                     "--out", str(tmp_path / "zs"), "--workers", "0", "--quiet"]) == 0
    inside = np.load(tmp_path / "zs" / "classes.npz")
    assert inside["labels"].tolist() == classes["labels"].tolist()


def bad_row(folder):
    with open(folder / "captions.csv", "a") as f:
        f.write("missing.png,a caption without its image\n")


def empty_images(folder):
    for path in (folder / "images").rglob("*.png"):
        path.unlink()


def unreadable(folder):
    (folder / "images" / "img05.png").write_bytes(b"not a png")


def garbage_checkpoint(folder):
    (folder / "tiny.pt").write_bytes(b"not a checkpoint")


def foreign_checkpoint(folder):
    torch.save({"visual.proj": torch.zeros(3)}, folder / "tiny.pt")


@pytest.mark.parametrize("change, args, message", [
    (bad_row, {}, "caption row 13 of"),
    (empty_images, {}, "holds no images"),
    (unreadable, {}, "cannot read the image"),
    (lambda f: (f / "captions.csv").write_text("path,caption\na.png,b\n"), {},
     "columns file,caption (found path,caption)"),
    (lambda f: (f / "captions.csv").write_text("file,caption\n"), {}, "has no caption rows"),
    (lambda f: (f / "captions.csv").write_text("file,caption\nimg00.png,\n"), {}, "no caption"),
    (lambda f: (f / "captions.csv").write_text("file,caption\n ,a caption\n"), {},
     "line 2 has no image file"),
    (lambda f: (f / "bad.jsonl").write_text('{"file": "img00.png", "caption": "a"}\n\n{\n'),
     {"--captions": "{folder}/bad.jsonl"}, "bad.jsonl line 3 is not JSON"),
    (None, {"--model": "ViT-Z-99"}, "--model ViT-Z-99: unknown open_clip model"),
    (garbage_checkpoint, {"--pretrained": "{folder}/tiny.pt"}, "tiny.pt: not a checkpoint"),
    (foreign_checkpoint, {"--pretrained": "{folder}/tiny.pt"}, "does not hold gapclip-tiny"),
    (None, {"--pretrained": "{folder}/missing.pt"}, "missing.pt: no such file"),
    (None, {"--pretrained": "openai"}, "--pretrained openai: neither a checkpoint file"),
    (lambda f: (f / "features.npy").write_bytes(b"precious"), {}, "exists"),
    (None, {"--captions": "{folder}/nothing.csv"}, "no captions file"),
    (None, {"--images": "{folder}/nowhere"}, "no images folder"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(folder, checkpoint, capsys,
                                                         change, args, message):
    if change:
        change(folder)
    options = {"--model": "gapclip-tiny", "--pretrained": str(checkpoint),
               "--images": str(folder / "images"), "--captions": str(folder / "captions.csv"),
               "--out": str(folder / "features.npy")}
    options.update({k: v.format(folder=folder) for k, v in args.items()})
    before = sorted(p.name for p in folder.iterdir())
    argv = ["embed", *[x for item in options.items() for x in item], "--workers", "0",
            "--quiet"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("gapkit embed: ")
    assert sorted(p.name for p in folder.iterdir()) == before  # no output, no .parts


@pytest.mark.parametrize("args, message", [
    (["--images", "{folder}/images"], "--images needs --captions FILE"),
    (["--classes", "{folder}", "--captions", "{folder}/captions.csv"],
     "--captions goes with --images, not with --classes"),
])
def test_options_that_do_not_go_together_are_one_line_exit_2(folder, capsys, args, message):
    argv = ["embed", "--model", "gapclip-tiny", *(a.format(folder=folder) for a in args),
            "--out", str(folder / "features.npy")]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gapkit embed: {message}") and err.count("\n") == 1
    assert not (folder / "features.npy").exists()


def test_an_interrupted_run_says_how_to_resume(folder, checkpoint, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(embed, "run", interrupted)
    assert run_embed(folder, checkpoint) == 130  # a shell's code for Ctrl-C
    assert "interrupted; run the same command again" in capsys.readouterr().err


def test_a_hub_tag_without_network_is_one_line(folder, capsys, monkeypatch, tmp_path):
    import huggingface_hub.constants

    monkeypatch.setattr(models, "hub_reachable", lambda: False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    assert cli.main(["embed", "--model", "ViT-B-32", "--pretrained", "openai",
                     "--images", str(folder / "images"),
                     "--captions", str(folder / "captions.csv"),
                     "--out", str(folder / "features.npy"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--pretrained openai: ViT-B-32/openai's weights are not in" in err
    assert "hub is unreachable; give a checkpoint file" in err and err.count("\n") == 1
    assert not (folder / "features.npy").exists()


def test_zero_shot_bad_folders(tmp_path, capsys):
    (tmp_path / "classes" / "cat").mkdir(parents=True)
    for args, message in ((["--classes", str(tmp_path / "classes")], "holds no images"),
                          (["--classes", str(tmp_path / "classes" / "cat")], "no class folders"),
                          (["--classes", str(tmp_path), "--template", "a photo"], "one {}")):
        assert cli.main(["embed", "--model", "gapclip-tiny", *args,
                         "--out", str(tmp_path / "zs.npy")]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1


def test_help_from_the_command_line():
    result = subprocess.run([sys.executable, "-m", "gapkit", "embed", "--help"],
                            capture_output=True, text=True, check=True)
    for option in ("--model", "--pretrained", "--images", "--captions", "--classes",
                   "--template", "--out", "--batch-size", "--workers"):
        assert option in result.stdout


def test_a_checkpoint_in_the_books_training_cache_format_loads(folder, checkpoint, capsys):
    """gapkit.train caches {"key", "state_dict", "history"}: --pretrained takes that file too."""
    cached = folder / "cached.pt"
    torch.save({"key": "k", "state_dict": torch.load(checkpoint, weights_only=True),
                "history": {"loss": [1.0]}}, cached)
    assert run_embed(folder, checkpoint, out="plain.npy") == 0
    assert cli.main(["embed", "--model", "gapclip-tiny", "--pretrained", str(cached),
                     "--images", str(folder / "images"),
                     "--captions", str(folder / "captions.csv"),
                     "--out", str(folder / "cached.npy"), "--workers", "0", "--quiet"]) == 0
    np.testing.assert_allclose(np.load(folder / "cached.npy"), np.load(folder / "plain.npy"),
                               atol=1e-6)
