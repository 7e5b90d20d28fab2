"""The network's decision boundary over the input plane, as an image every N epochs.

For 2-D inputs the whole function the network computes fits in one picture:
P(y=1) over a grid around the data, the 0.5 contour (the decision boundary)
and the training points on top. Logged under `decision_boundary` at the
initial weights and then every `every_n_epochs` epochs, at the global step,
so TensorBoard's image slider scrubs through training and shows XOR get
solved. Multi-class data: a coloured region per class instead. A regression
model (inputs of any width): the validation rows' predicted against true
values, under `predicted_vs_true`, in the target's units. The picture goes to
every logger that keeps images (`images.py`: TensorBoard, MLflow as PNG
artifacts, W&B). Inputs that are not 2 features (x of shape (N, 2)), batches
that are not `(x, y)`, or no such logger: the callback says so once and does
nothing.

The points are a fixed sample, the first `max_rows` rows of the training
loader's dataset (regression: of the validation loader's), taken once when
training starts (`rows_sample.py`); the grid spans their range plus `margin`
on each side (for XOR, -0.5 to 1.5). The module maps `(N, 2)` inputs to its
output. The template's module has a `task` that turns outputs into scores;
any other module's single output is read as a logit (sigmoid) and C outputs
as one logit per class (softmax). The picture is drawn with NumPy
(`boundary_image.py`): cheap enough to leave on. The image has no axes.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import lightning as L
import torch
from torch import Tensor

from backprop_lab.callbacks.boundary_image import render_boundary, render_regions, render_scatter
from backprop_lab.callbacks.cadence import epochs_between
from backprop_lab.callbacks.images import image_loggers, log_image
from backprop_lab.callbacks.rows_sample import NoSample, rows_of
from backprop_lab.callbacks.tensorboard_base import TensorBoardCallback
from backprop_lab.runs.interrupts import stop_if_terminated

# Grid points a forward pass: the default 60 x 60 grid is one; 3000 x 3000 at once asked for 36 GB of activations.
GRID_CHUNK = 1 << 16


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch's CPU ops on one thread for a moment.

    The grid is a few thousand rows: one thread computes it quickly, while
    the worker threads that ops such as tanh (from a few thousand elements)
    or a min along a dimension start can wait far longer than that for a core
    on a busy machine (docs/performance.md, "Measurements behind the code").
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def scores(pl_module: L.LightningModule, outputs: Tensor) -> Tensor:
    """Probabilities from the module's outputs: its `task`'s scores, else sigmoid of one logit, softmax of C."""
    task = getattr(pl_module, "task", None)
    if task is not None:
        return task.scored(outputs)
    if outputs.ndim == 1 or outputs.shape[-1] == 1:
        return torch.sigmoid(outputs.reshape(len(outputs)))
    return torch.softmax(outputs, dim=-1)


def probability_grid(
    pl_module: L.LightningModule,
    x: Tensor,
    resolution: int,
    margin: float,
    before_chunk: Callable[[], None] | None = None,
) -> tuple[Tensor, tuple]:
    """P(y=1) on a `resolution` x `resolution` grid spanning the data plus `margin`; returns (probs, extent).

    Row i of `probs` is the i-th lowest x1, column j the j-th lowest x0, as an image with its origin below.
    A multi-class module gives every class's probability: shape (resolution, resolution, classes).
    The grid goes through the module `GRID_CHUNK` points at a time, `before_chunk` before each (it raises to stop).
    """
    was_training = pl_module.training
    pl_module.eval()
    try:
        with torch.no_grad(), one_thread():
            low = x.min(dim=0).values - margin
            high = x.max(dim=0).values + margin
            extent = (float(low[0]), float(high[0]), float(low[1]), float(high[1]))
            xs = torch.linspace(extent[0], extent[1], resolution)
            ys = torch.linspace(extent[2], extent[3], resolution)
            grid = torch.cartesian_prod(ys, xs).flip(-1).to(pl_module.device, dtype=x.dtype)
            chunks = []
            for start in range(0, len(grid), GRID_CHUNK):
                if before_chunk is not None:
                    before_chunk()
                chunks.append(scores(pl_module, pl_module(grid[start : start + GRID_CHUNK]).float()))
            probs = torch.cat(chunks)
            probs = probs.reshape(resolution, resolution, *probs.shape[1:]).cpu()
    finally:
        pl_module.train(was_training)
    return probs, extent


class DecisionBoundary(TensorBoardCallback):
    """Logs an image of P(y=1) over the input plane every `every_n_epochs` epochs (2-D inputs only).

    `resolution` is the grid's points per side (the network runs on
    resolution**2 inputs); the picture is smoothed up to `pixels` per side;
    `max_rows` training rows are drawn (and span the plane); `max_points` bounds the pictures a run draws.
    """

    def __init__(
        self,
        every_n_epochs: int,
        resolution: int,
        margin: float,
        pixels: int,
        max_rows: int,
        max_points: int | None = None,
    ) -> None:
        # No defaults: configs/callbacks/decision_boundary.yaml holds them, `config/checks.py` checks them.
        super().__init__()
        self.max_points, self.interval = max_points, every_n_epochs
        self.every_n_epochs, self.resolution, self.margin, self.pixels = every_n_epochs, resolution, margin, pixels
        self.max_rows = max_rows
        self._points: tuple[Tensor, Tensor] | None = None

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._points = None
        self.interval = epochs_between(trainer, self.every_n_epochs, self.max_points)
        if not image_loggers(trainer):
            self.skip_once("the run has no logger that keeps images (tensorboard, mlflow, wandb), so none is drawn.")
            return
        regression = getattr(getattr(pl_module, "task", None), "name", None) == "regression"
        try:
            x, y = rows_of(trainer, "val" if regression else "train", self.max_rows)
        except NoSample as reason:
            self.skip_once(f"{reason}, so no decision boundary is drawn.")
            return
        if not regression and (x.ndim != 2 or x.shape[1] != 2):
            shape = "x".join(str(n) for n in x.shape[1:])
            self.skip_once(f"the inputs are of shape (N, {shape}), not (N, 2) features, so there is no plane to draw.")
            return
        self._points = (x, y)
        self._draw(trainer, pl_module)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._points is not None and (trainer.current_epoch + 1) % self.interval == 0:
            self._draw(trainer, pl_module)

    def _draw(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        stop_if_terminated(trainer)
        x, y = self._points
        task = getattr(pl_module, "task", None)
        if getattr(task, "name", None) == "regression":
            was_training = pl_module.training
            pl_module.eval()
            try:
                with torch.no_grad(), one_thread():
                    predicted = task.scored(pl_module(x.to(pl_module.device)).float()).cpu().numpy()
            finally:
                pl_module.train(was_training)
            true = task.target_for_metrics(y).cpu().numpy()
            log_image(trainer, "predicted_vs_true", render_scatter(true, predicted, self.pixels), trainer.global_step)
            return
        stop = functools.partial(stop_if_terminated, trainer)
        probs, extent = probability_grid(pl_module, x, self.resolution, self.margin, stop)
        render = render_regions if probs.ndim == 3 else render_boundary
        image = render(probs.numpy(), extent, x.float().cpu().numpy(), y.float().cpu().numpy(), self.pixels)
        log_image(trainer, "decision_boundary", image, trainer.global_step)
