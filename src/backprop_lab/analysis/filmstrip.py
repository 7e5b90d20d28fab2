"""A finished run's decision-boundary images, read back from its event files and laid out as one PNG.

The `DecisionBoundary` callback logs one image every N epochs; this puts a
chosen few side by side, titled by step, so a README or a report can show
training as it proceeds without a running TensorBoard. Matplotlib does the
layout; it runs after training, where drawing time does not matter.
"""

import io
from pathlib import Path

import numpy as np
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import IMAGES, EventAccumulator

from backprop_lab.errors import RunFolderError
from backprop_lab.runs.atomic import save_figure_atomic
from backprop_lab.runs.name import tensorboard_dir

TAG = "decision_boundary"


def read_frames(run_dir: Path, tag: str = TAG) -> dict[int, np.ndarray]:
    """Every image logged under `tag` in the run's event files (`<run_dir>/tensorboard/<run name>`), by step."""
    folder = tensorboard_dir(run_dir)
    if not folder.is_dir():
        raise RunFolderError(
            f"{run_dir} has no TensorBoard event files (no folder {folder}): pass the folder of a training run, "
            "e.g. logs/train/runs/<timestamp>, trained with logger=tensorboard (the default)."
        )
    events = EventAccumulator(str(folder), size_guidance={IMAGES: 0})
    events.Reload()
    if tag not in events.Tags()[IMAGES]:
        raise RunFolderError(
            f"{run_dir} has no '{tag}' images: train with the decision_boundary callback on "
            "(it is by default) and 2-D inputs, then try again."
        )
    return {
        e.step: np.asarray(Image.open(io.BytesIO(e.encoded_image_string)).convert("RGB")) for e in events.Images(tag)
    }


def write_filmstrip(
    frames: dict[int, np.ndarray], out: Path, steps: list[int] | None = None, columns: int = 4, label: str = "step"
) -> Path:
    """Lay out `frames` (all, or those at `steps`) in a grid titled '<label> N'; write a PNG to `out`."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    chosen = sorted(frames) if steps is None else steps
    missing = [s for s in chosen if s not in frames]
    if missing:
        raise RunFolderError(f"no image at step(s) {missing}; the run has images at steps {sorted(frames)}")
    rows = -(-len(chosen) // columns)
    figure = Figure(figsize=(2.2 * columns, 2.35 * rows + 0.45), dpi=80)
    FigureCanvasAgg(figure)
    for i, step in enumerate(chosen):
        axes = figure.add_subplot(rows, columns, i + 1)
        axes.imshow(frames[step])
        axes.set_title(f"{label} {step}", fontsize=10)
        axes.set_axis_off()
    figure.suptitle("P(y=1): blue 0, white 0.5, red 1; black line: the decision boundary", fontsize=10)
    figure.tight_layout()
    out = Path(out)
    save_figure_atomic(figure, out)
    return out
