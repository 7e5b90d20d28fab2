"""The network's decision boundary over the input plane, as a TensorBoard image every N epochs.

For 2-D inputs the whole function the network computes fits in one picture:
P(y=1) over a grid around the data, the 0.5 contour (the decision boundary)
and the training points on top. Logged under `decision_boundary` at the
initial weights and then every `every_n_epochs` epochs, at the global step,
so TensorBoard's image slider scrubs through training and shows XOR get
solved. Inputs of any other width: the callback says so once and does nothing.

The data comes from `trainer.datamodule.splits["train"]` (duck-typed, as
`TensorDataModule` provides it); the module must map `(N, 2)` inputs to
logits, as `BinaryClassifier` does. Drawing uses matplotlib's Agg canvas
directly (no pyplot, no display), imported only when the first image is drawn.
"""

from typing import Any

import lightning as L
import numpy as np
import torch
from torch import Tensor

from backprop_lab.callbacks.tensorboard_base import TensorBoardCallback
from backprop_lab.callbacks.watch import check_interval


def probability_grid(pl_module: L.LightningModule, x: Tensor, resolution: int, margin: float) -> tuple[Tensor, tuple]:
    """P(y=1) on a `resolution` x `resolution` grid spanning the data plus `margin`; returns (probs, extent)."""
    low = x.min(dim=0).values - margin
    high = x.max(dim=0).values + margin
    xs = torch.linspace(float(low[0]), float(high[0]), resolution)
    ys = torch.linspace(float(low[1]), float(high[1]), resolution)
    grid = torch.cartesian_prod(ys, xs).flip(-1)  # row-major over y, columns over x, as an image
    was_training = pl_module.training
    pl_module.eval()
    try:
        with torch.no_grad():
            logits = pl_module(grid.to(pl_module.device, dtype=x.dtype))
    finally:
        pl_module.train(was_training)
    probs = torch.sigmoid(logits.float()).reshape(resolution, resolution).cpu()
    return probs, (float(low[0]), float(high[0]), float(low[1]), float(high[1]))


def render_boundary(probs: Tensor, extent: tuple, x: Tensor, y: Tensor, title: str, size_px: int = 256) -> np.ndarray:
    """Draw probabilities, the 0.5 contour and the labelled points; return an RGB array (H, W, 3)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    dpi = 80
    figure = Figure(figsize=(size_px / dpi, size_px / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_axes((0.12, 0.1, 0.84, 0.8))
    grid = probs.numpy()
    axes.imshow(grid, origin="lower", extent=extent, cmap="RdBu_r", vmin=0.0, vmax=1.0, aspect="auto")
    if grid.min() < 0.5 < grid.max():
        axes.contour(grid, levels=[0.5], colors="black", linewidths=1.5, extent=extent, origin="lower")
    points, labels = x.cpu().numpy(), y.cpu().numpy() > 0.5
    for positive, colour in ((False, "#2166ac"), (True, "#b2182b")):
        chosen = points[labels == positive]
        axes.scatter(chosen[:, 0], chosen[:, 1], c=colour, s=60, edgecolors="white", linewidths=1.5, zorder=3)
    axes.set_title(title, fontsize=9)
    axes.locator_params(nbins=4)  # few tick labels: text is most of the drawing time
    axes.tick_params(labelsize=8)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


class DecisionBoundary(TensorBoardCallback):
    """Logs an image of P(y=1) over the input plane every `every_n_epochs` epochs (2-D inputs only).

    `resolution` is the grid's points per side: 60 looks smooth once drawn and
    keeps the grid's forward pass far cheaper than the drawing.
    """

    what = "decision-boundary image"

    def __init__(self, every_n_epochs: int = 10, resolution: int = 60, margin: float = 0.5) -> None:
        super().__init__()
        self.every_n_epochs = check_interval("callbacks.decision_boundary.every_n_epochs", every_n_epochs)
        self.resolution = check_interval("callbacks.decision_boundary.resolution", resolution)
        self.margin = margin

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._draw(trainer, pl_module, epochs_done=trainer.current_epoch)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if (trainer.current_epoch + 1) % self.every_n_epochs == 0:
            self._draw(trainer, pl_module, epochs_done=trainer.current_epoch + 1)

    def _points(self, trainer: L.Trainer) -> tuple[Tensor, Tensor] | None:
        splits: Any = getattr(trainer.datamodule, "splits", None)
        if not isinstance(splits, dict) or "train" not in splits:
            self.skip_once("the data module has no `splits['train']` to draw, so no decision boundary is logged.")
            return None
        x, y = splits["train"]
        if x.ndim != 2 or x.shape[1] != 2:
            self.skip_once(f"the inputs have {x.shape[-1]} features, not 2, so there is no plane to draw.")
            return None
        return x, y

    def _draw(self, trainer: L.Trainer, pl_module: L.LightningModule, epochs_done: int) -> None:
        points = self._points(trainer)
        writer = self.writer(trainer) if points is not None else None
        if writer is None:
            return
        x, y = points
        probs, extent = probability_grid(pl_module, x, self.resolution, self.margin)
        title = f"P(y=1) after {epochs_done} epochs ({trainer.global_step} steps)"
        image = render_boundary(probs, extent, x, y, title)
        writer.add_image("decision_boundary", image, trainer.global_step, dataformats="HWC")
