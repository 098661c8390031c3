"""Explorers that work without a kernel: every figure drawn in advance, switched in the page.

``grid_explorer(draw, controls)`` draws ``draw(*values)`` for every combination of the
controls' values and returns one HTML block: native ``<select>`` and ``<input type=range>``
controls, an image, and a few lines of script that show the figure of the chosen values.
The same block serves the published site (no kernel, no CDN: the figures are in the page)
and a live notebook. Chapter 5 introduces it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
from PIL import Image

MAX_FRAMES = 400  # every frame is an image in the page: keep pages light

_SCRIPT = """(function () {
  const root = document.getElementById(%(id)s);
  const frames = %(frames)s, labels = %(labels)s;
  const controls = root.querySelectorAll("[data-control]");
  const image = root.querySelector("img");
  function show() {
    const key = Array.from(controls, c => c.value).join(",");
    image.src = "data:image/png;base64," + frames[key];
    image.alt = %(alt)s + ": " + Array.from(controls, (c, i) => labels[i][c.value]).join(", ");
    controls.forEach((c, i) => {
      if (c.type === "range") {
        c.setAttribute("aria-valuetext", labels[i][c.value]);
        c.nextElementSibling.textContent = labels[i][c.value];
      }
    });
  }
  controls.forEach(c => c.addEventListener("input", show));
  show();
})();"""


@dataclass(frozen=True)
class Explorer:
    """A drawn grid of figures and its controls; shows itself as HTML in a notebook
    (chapters 1 to 5)."""

    title: str
    controls: dict[str, tuple]
    frames: dict[str, str]  # "i,j,k" (indices of the chosen values) -> base64 PNG
    initial: tuple[int, ...]

    def __repr__(self) -> str:  # the plain-text form: not the images
        sizes = ", ".join(f"{name}: {len(v)}" for name, v in self.controls.items())
        return f"<Explorer {self.title!r}, {len(self.frames)} figures ({sizes})>"

    @property
    def element_id(self) -> str:
        digest = hashlib.sha256(json.dumps([self.title, list(self.controls)]).encode())
        return "gapkit-explorer-" + digest.hexdigest()[:10]

    def _control(self, position: int, name: str, values: tuple) -> str:
        label = html.escape(name)
        start = self.initial[position]
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            return (f'<label>{label} <input type="range" min="0" max="{len(values) - 1}" '
                    f'step="1" value="{start}" data-control="{position}" '
                    f'aria-label="{label}"><output>{label} = {html.escape(str(values[start]))}'
                    "</output></label>")
        options = "".join(f'<option value="{k}"{" selected" * (k == start)}>'
                          f"{html.escape(str(v))}</option>" for k, v in enumerate(values))
        return (f'<label>{label} <select data-control="{position}" aria-label="{label}">'
                f"{options}</select></label>")

    def _repr_html_(self) -> str:
        controls = "\n".join(self._control(k, name, values)
                             for k, (name, values) in enumerate(self.controls.items()))
        labels = [[f"{name} = {v}" if isinstance(v, int | float) else str(v) for v in values]
                  for name, values in self.controls.items()]
        key = ",".join(map(str, self.initial))
        script = _SCRIPT % {"id": json.dumps(self.element_id), "frames": json.dumps(self.frames),
                            "labels": json.dumps(labels), "alt": json.dumps(self.title)}
        return (f'<div class="gapkit-explorer" id="{self.element_id}">\n'
                f'<div class="gapkit-explorer-controls" style="display:flex;flex-wrap:wrap;'
                f'gap:0.5em 1.5em;margin-bottom:0.5em">\n{controls}\n</div>\n'
                f'<img style="max-width:100%" alt="{html.escape(self.title)}" '
                f'src="data:image/png;base64,{self.frames[key]}">\n'
                f"<script>{script}</script>\n</div>")


def grid_explorer(draw: Callable[..., plt.Figure], controls: dict[str, Sequence],
                  title: str, initial: dict[str, object] | None = None,
                  dpi: int = 80) -> Explorer:
    """Draw ``draw(*values)`` for every combination of the ``controls`` (label -> values, in
    the order of ``draw``'s arguments) and return an ``Explorer``. Numeric values get a
    slider, others a drop-down menu. ``initial`` names the values shown first (default:
    each control's first value).

    Introduced in chapter 1 (The gap)."""
    if not controls or any(len(values) == 0 for values in controls.values()):
        raise ValueError("every control needs at least one value")
    controls = {name: tuple(values) for name, values in controls.items()}
    count = 1
    for values in controls.values():
        count *= len(values)
    if count > MAX_FRAMES:
        raise ValueError(f"{count} figures to draw: at most {MAX_FRAMES} keep a page light")
    chosen = initial or {}
    unknown = set(chosen) - set(controls)
    if unknown:
        raise ValueError(f"initial names no control: {sorted(unknown)}")
    start = tuple(controls[name].index(chosen[name]) if name in chosen else 0
                  for name in controls)
    frames = {}
    for indices in itertools.product(*(range(len(v)) for v in controls.values())):
        figure = draw(*(values[k] for values, k in zip(controls.values(), indices,
                                                        strict=True)))
        if not isinstance(figure, plt.Figure):
            raise TypeError(f"draw must return a matplotlib Figure, got {type(figure).__name__}")
        buffer = io.BytesIO()
        # A figure its layout engine fitted to the canvas is saved as it is: every frame
        # one size, and no second measuring pass (a tenth of an explorer's drawing time).
        fitted = "standard" if figure.get_layout_engine() else "tight"
        with plt.rc_context({"savefig.bbox": fitted}):
            figure.savefig(buffer, format="png", dpi=dpi)
        plt.close(figure)
        frames[",".join(map(str, indices))] = base64.b64encode(
            _in_256_colours(buffer.getvalue())).decode()
    return Explorer(title, controls, frames, start)


def _in_256_colours(png: bytes) -> bytes:
    # A plot has few colours: as a palette PNG a frame weighs a third as much (chapter 5's
    # 90 frames: 3.6 MB -> 1.1 MB of page), for a few milliseconds each, and looks the same.
    image = Image.open(io.BytesIO(png)).quantize(
        256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
