import base64
import io
import re
import struct

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from gapkit import explorer


def draw(kind, level):
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [level, level], color="red" if kind == "red" else "blue")
    return fig


def test_every_combination_is_drawn_once_and_shown_by_its_controls():
    shown = explorer.grid_explorer(draw, {"kind": ("red", "blue"), "level": (0, 0.5, 1)},
                                   title="lines", initial={"level": 0.5})
    assert len(shown.frames) == 6 and len(set(shown.frames.values())) == 6
    html = shown._repr_html_()
    assert '<select data-control="0" aria-label="kind">' in html
    assert re.search(r'<input type="range" min="0" max="2" step="1" value="1" '
                     r'data-control="1" aria-label="level">', html)
    assert shown.frames["0,1"] in html.split("<script>")[0]  # the initial figure
    assert "http" not in html  # nothing to fetch: the page works offline
    assert "6 figures" in repr(shown) and len(repr(shown)) < 200


def pixels(frame: str) -> tuple[int, int]:
    return struct.unpack(">II", base64.b64decode(frame)[16:24])  # the PNG's IHDR


def test_a_laid_out_figure_keeps_its_canvas_and_another_is_cropped_tight():
    def laid_out(label):  # a long label that changes the labels' extent
        fig, ax = plt.subplots(figsize=(3, 2), constrained_layout=True)
        ax.set(ylabel=label * 20)
        return fig

    with plt.rc_context({"savefig.bbox": "tight"}):  # the book's style
        frames = explorer.grid_explorer(laid_out, {"label": ("a", "ab")}, title="t",
                                        dpi=50).frames
        cropped = explorer.grid_explorer(lambda kind: draw(kind, 0), {"kind": ("red",)},
                                         title="t", dpi=50)
    assert {pixels(f) for f in frames.values()} == {(150, 100)}  # every frame one size
    assert pixels(cropped.frames["0"]) != (100, 100)  # the blank margin cut away


def test_a_frame_is_a_palette_png_that_looks_like_the_figure():
    drawn = []

    def keep(kind):
        drawn.append(draw(kind, 0.5))
        return drawn[-1]

    png = base64.b64decode(explorer.grid_explorer(keep, {"kind": ("red",)}, title="t",
                                                  dpi=50).frames["0"])
    assert png[25] == 3  # the IHDR's colour type: indexed
    direct = io.BytesIO()
    drawn[0].savefig(direct, format="png", dpi=50, bbox_inches="tight")
    frame, figure = (np.asarray(Image.open(f).convert("RGBA"), dtype=float)
                     for f in (io.BytesIO(png), direct))
    assert frame.shape == figure.shape and np.abs(frame - figure).mean() < 2
    assert len(png) < len(direct.getvalue())


def test_bad_explorers_are_refused():
    with pytest.raises(ValueError, match="at least one value"):
        explorer.grid_explorer(draw, {"kind": ()}, title="t")
    with pytest.raises(ValueError, match="keep a page light"):
        explorer.grid_explorer(draw, {"a": range(30), "b": range(30)}, title="t")
    with pytest.raises(ValueError, match="names no control"):
        explorer.grid_explorer(draw, {"kind": ("red",), "level": (0,)}, title="t",
                               initial={"colour": "red"})
    with pytest.raises(TypeError, match="matplotlib Figure"):
        explorer.grid_explorer(lambda kind: None, {"kind": ("red",)}, title="t")


def test_the_frame_limit_is_exact_and_counts_every_combination(monkeypatch):
    monkeypatch.setattr(explorer, "MAX_FRAMES", 4)

    def blank(a, b):
        return plt.figure(figsize=(0.2, 0.2))

    assert len(explorer.grid_explorer(blank, {"a": (1, 2), "b": (1, 2)}, "t",
                                      dpi=10).frames) == 4
    with pytest.raises(ValueError, match="5 figures to draw: at most 4"):
        explorer.grid_explorer(blank, {"a": (1,), "b": range(5)}, "t")


def test_each_explorer_has_its_own_element_and_its_script_finds_it():
    shown = [explorer.grid_explorer(lambda kind: draw(kind, 0), {"kind": ("red",)},
                                    title=title, dpi=20) for title in ("one", "two")]
    ids = [s.element_id for s in shown]
    assert ids[0] != ids[1] and all(i.startswith("gapkit-explorer-") for i in ids)
    for s in shown:
        assert f'id="{s.element_id}"' in s._repr_html_()
        assert f'getElementById("{s.element_id}")' in s._repr_html_()
