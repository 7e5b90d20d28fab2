"""The loss landscape around the trained weights, and the path the optimizer took across it.

Every `every_n_steps` optimizer steps the callback records the network's
parameters as one flat vector (on the CPU: P numbers per point, so a path of
T points holds T * P floats). At the end of fit, and every `every_n_epochs`
epochs if set, it draws (see `backprop_lab.callbacks.landscape_math` for the math):

    landscape/plane   log10 of the training loss over the plane through the current weights spanned by the
                      path's two principal directions (or two filter-normalised random ones), the path on it
    landscape/line    the training loss along the straight line from the initial to the current weights

The end-of-fit pictures also go to `<output_dir>/landscape/plane.png` and
`line.png`, and the numbers to `landscape.npz` (plain arrays, no pickles):
`steps`, `trajectory` (T, P), `origin`, `directions` (2, P), `path` (T, 2),
`alphas`, `betas`, `grid` (rows: betas), `line_t`, `line_loss`, `shares`,
`names`, `rows`. `scripts/compare_runs.py` reads them back for a sweep.

What it costs is bounded by the run (`budget`, a share of the training's
compute): the loss is evaluated at grid points x sample rows, and training
did about 3 forward passes' worth of work (forward, backward) per row it
trained on; the drawing evaluates at most `budget` x 3 x (rows trained)
(point, row) pairs, and never fewer than FLOOR_PAIRS. XOR's 4 rows keep the
full grid; on real data the sample is cut first (to MIN_ROWS), then the grid
is made coarser; the picture's caption says how many rows it used. The path
is recorded every `every_n_steps` steps, or less often so that it holds at
most `max_points` points (`cadence.py`).

The loss is the module's `loss_fn(module(x), y)`, or for a module without
`loss_fn` the loss its own `training_step` returns (`module_loss.py` says why
and how), on a fixed sample of training rows: the first `max_rows` rows of
the training loader's dataset (`rows_sample.py`), taken once and the same at
every drawing. Any network and input shape works. The module is in eval mode
while the loss is computed, and its weights are never changed. The pictures
go to every logger that keeps images (`images.py`); each is encoded as a
PNG once, with Pillow, and the same bytes go to TensorBoard and the file.
"""

import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path

import lightning as L
import numpy as np
import torch

from backprop_lab.callbacks import landscape_math as ls
from backprop_lab.callbacks.cadence import steps_between
from backprop_lab.callbacks.images import image_loggers, log_image, png_bytes
from backprop_lab.callbacks.landscape_image import render_line, render_plane, write_landscape
from backprop_lab.callbacks.module_loss import ModuleLoss
from backprop_lab.callbacks.rows_sample import NoSample, dataset_rows, rows_of
from backprop_lab.callbacks.tensorboard_base import TensorBoardCallback
from backprop_lab.callbacks.watch import watched_parameters, watched_root
from backprop_lab.runs.interrupts import stop_if_terminated

log = logging.getLogger(__name__)

# 2048 sample rows x 256 grid points of a 256-wide MLP held 1.6 GB of activations; 4096 pairs hold ~20 MB
# and are no slower on a CPU (tiny data such as XOR's 4 rows keep whole chunks of `chunk_size`).
ROW_POINTS = 4096
# The fewest (point, row) pairs a drawing may evaluate however short the run (XOR's 686 points x 4 rows fit), and
# the fewest rows a bounded drawing keeps before it makes the grid coarser.
FLOOR_PAIRS, MIN_ROWS = 4096, 32
FORWARDS_PER_TRAINED_ROW = 3  # a training step's forward and backward cost about three forward passes


def batch_rows(batch: object) -> int:
    """Rows in a training batch: the length of its first tensor (`(x, y)`), else 1."""
    first = batch[0] if isinstance(batch, (tuple, list)) and batch else batch
    return len(first) if isinstance(first, torch.Tensor) and first.ndim else 1


class LossLandscape(TensorBoardCallback):
    """Records the parameter path and draws the loss landscape with the path on it."""

    def __init__(
        self,
        *,
        every_n_steps: int,
        every_n_epochs: int | None,
        max_points: int | None,
        budget: float | None,
        directions: str,
        resolution: int,
        margin: float,
        max_rows: int,
        chunk_size: int | None,
        seed: int,
        output_dir: str | None = None,
        root: str = "net",
    ) -> None:
        # No defaults for the choices: configs/callbacks/loss_landscape.yaml holds them, `config/checks.py` checks them.
        super().__init__()
        self.output_dir = Path(output_dir) if output_dir else None
        self.every_n_steps, self.every_n_epochs, self.resolution = every_n_steps, every_n_epochs, resolution
        self.directions, self.margin, self.max_rows = directions, margin, max_rows
        self.chunk_size, self.seed, self.root = chunk_size, seed, root
        self.max_points, self.budget, self.interval = max_points, budget, every_n_steps
        self.rows_trained = 0
        self._params: list[tuple[str, torch.nn.Parameter]] = []
        self._points: list[torch.Tensor] = []
        self._steps: list[int] = []
        self._drawn_at: int | None = None
        self._sample: tuple[torch.Tensor, torch.Tensor] | None = None

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self._params = watched_parameters(pl_module, self.root)

    def _record(self, step: int) -> None:
        if not self._steps or self._steps[-1] != step:
            self._points.append(ls.flatten([p for _, p in self._params]))
            self._steps.append(step)

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._points, self._steps, self._drawn_at, self._sample = [], [], None, None
        self.interval = steps_between(trainer, self.every_n_steps, self.max_points)
        self.rows_trained = 0
        if trainer.is_global_zero:
            self._record(trainer.global_step)

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: object, batch: object, batch_idx: int
    ) -> None:
        self.rows_trained += batch_rows(batch)
        if trainer.is_global_zero and trainer.global_step % self.interval == 0:
            self._record(trainer.global_step)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.every_n_epochs and (trainer.current_epoch + 1) % self.every_n_epochs == 0 and trainer.is_global_zero:
            self._draw(trainer, pl_module, final=False)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.is_global_zero and self._steps:
            self._draw(trainer, pl_module, final=True)

    def _training_rows(self, trainer: L.Trainer) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The fixed sample of training rows, taken at the first drawing; None (said once) if there is none."""
        if self._sample is None:
            try:
                self._sample = rows_of(trainer, "train", self.max_rows)
            except NoSample as reason:
                self.skip_once(f"{reason}, so no loss landscape is drawn.")
        return self._sample

    @torch.no_grad()
    def _draw(self, trainer: L.Trainer, pl_module: L.LightningModule, final: bool) -> None:
        began = time.perf_counter()
        if not image_loggers(trainer):
            self.skip_once(
                "the run has no logger that keeps images (tensorboard, mlflow, wandb), so no loss landscape image "
                "is logged (the PNGs and landscape.npz in the run folder are still written)."
            )
            if not final:
                return
        data = self._training_rows(trainer)
        if data is None:
            return
        pairs = (
            None
            if self.budget is None
            else max(FLOOR_PAIRS, self.budget * FORWARDS_PER_TRAINED_ROW * self.rows_trained)
        )
        resolution, rows = ls.bounded_sizes(self.resolution, len(data[0]), pairs, MIN_ROWS)
        x, y = (t[:rows].to(pl_module.device) for t in data)
        self._record(trainer.global_step)
        loss = ModuleLoss(pl_module)
        try:
            result = self.compute(pl_module, loss, x, y, resolution, functools.partial(stop_if_terminated, trainer))
        except (TypeError, RuntimeError) as err:
            if loss.batched:  # a fault in the module's own loss_fn or forward: not ours to hide
                raise
            self.skip_once(f"the loss of {type(pl_module).__name__}.training_step on a copy failed ({err}).")
            return
        total = dataset_rows(trainer, "train")
        result["rows"] = np.array([len(x), -1 if total is None else total])
        images = dict(self.pictures(result, len(x), total, trainer.global_step, loss.how))
        pngs = {name: png_bytes(image) for name, image in images.items()}  # once, for the logger and the file
        if self._drawn_at != trainer.global_step:  # once a step: the last epoch's end is fit's
            for name, image in images.items():
                log_image(trainer, f"landscape/{name}", image, trainer.global_step, png=pngs[name])
        self._drawn_at = trainer.global_step
        if final and self.output_dir is not None:
            write_landscape(self.output_dir / "landscape", result, pngs)
        log.info(
            "Loss landscape at step %d drawn in %.0f ms", trainer.global_step, 1000 * (time.perf_counter() - began)
        )

    def compute(
        self,
        pl_module: L.LightningModule,
        loss: ModuleLoss,
        x: torch.Tensor,
        y: torch.Tensor,
        resolution: int,
        before_chunk: Callable[[], None] | None = None,
    ) -> dict:
        """The path, the plane, the grid and the line as NumPy arrays (see the module docstring).

        `before_chunk` runs before each chunk of grid points (see `landscape_math.chunked_losses`).
        """
        trajectory = torch.stack(self._points)
        self._points = list(trajectory)  # views of its rows: the path is held once, not twice
        origin = trajectory[-1]
        if self.directions == "pca":
            directions, shares = ls.pca_directions(trajectory, origin)
        else:
            directions, shares = ls.random_directions([p for _, p in self._params], self.seed), torch.zeros(2)
        path = ls.project(trajectory, origin, directions)
        alphas, betas = ls.plane_axes(path, resolution, self.margin)
        line_t = ls.line_ts(resolution)
        a, b = ls.grid_coordinates(alphas, betas)
        # At most ROW_POINTS (grid point, row) pairs per call as well: each holds every layer's activations.
        chunk = min(self.chunk_size or len(a), max(ROW_POINTS // len(x), 1))
        root = watched_root(pl_module, self.root)
        names = [f"module.{root}.{name}" if root else f"module.{name}" for name, _ in self._params]  # in ModuleLoss
        loss_at = ls.loss_function(loss, names, [p.shape for _, p in self._params], x, y)

        def losses(points: Callable[[slice], torch.Tensor], count: int) -> torch.Tensor:
            return ls.chunked_losses(loss_at, points, count, chunk, loss.batched, before_chunk)

        was_training = pl_module.training
        loss.eval()
        try:
            plane = losses(lambda r: ls.plane_points_at(origin, directions, a[r], b[r]).to(x.device), len(a))
            line = losses(lambda r: ls.line_points(trajectory[0], origin, line_t[r]).to(x.device), len(line_t))
            values = torch.cat([plane, line]).float().cpu()
        finally:
            pl_module.train(was_training)
        grid = values[: len(alphas) * len(betas)].reshape(len(betas), len(alphas))
        return {
            "steps": np.array(self._steps), "trajectory": trajectory.numpy(), "origin": origin.numpy(),
            "directions": directions.numpy(), "path": path.numpy(), "alphas": alphas.numpy(),
            "betas": betas.numpy(), "grid": grid.numpy(), "line_t": line_t.numpy(),
            "line_loss": values[len(alphas) * len(betas):].numpy(), "shares": shares.numpy(),
            "names": np.array([name for name, _ in self._params]),
        }  # fmt: skip

    def pictures(
        self, result: dict, rows: int, total: int | None, step: int, loss_name: str
    ) -> list[tuple[str, np.ndarray]]:
        if rows == total:
            data = f"all {total} training rows"
        else:
            data = f"the first {rows}{'' if total is None else f' of {total}'} training rows"
        if self.directions == "pca":
            names = tuple(f"PC{i + 1} ({100 * s:.0f}%)" for i, s in enumerate(result["shares"]))
            how = "the path's 2 principal directions"
        else:
            names, how = ("random dir 1", "random dir 2"), "2 filter-normalised random directions"
        caption = f"{loss_name} on {data}\n{how}, at step {step}"
        plane = render_plane(result["grid"], result["alphas"], result["betas"], result["path"], names, caption)
        line_caption = f"{loss_name} on {data}\nweights: initial -> step {step}"
        line = render_line(result["line_t"], result["line_loss"], line_caption)
        return [("plane", plane), ("line", line)]
