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

The loss is the module's `loss_fn(module(x), y)` on the training split, or
on a fixed random sample of `max_rows` of its rows; the module is in eval mode
while it is computed, and its weights are never changed.
"""

import logging
import time
from pathlib import Path

import lightning as L
import numpy as np
import torch
from lightning.pytorch.loggers import TensorBoardLogger
from tensorboard.compat.proto.summary_pb2 import Summary

from backprop_lab.callbacks import landscape_math as ls
from backprop_lab.callbacks.images import log_image
from backprop_lab.callbacks.landscape_image import png, render_line, render_plane
from backprop_lab.callbacks.tensorboard_base import TensorBoardCallback
from backprop_lab.callbacks.watch import watched_parameters
from backprop_lab.data.splits import permutation

log = logging.getLogger(__name__)

# 2048 sample rows x 256 grid points of a 256-wide MLP held 1.6 GB of activations; 4096 pairs hold ~20 MB
# and are no slower on a CPU (tiny data such as XOR's 4 rows keep whole chunks of `chunk_size`).
ROW_POINTS = 4096


class LossLandscape(TensorBoardCallback):
    """Records the parameter path and draws the loss landscape with the path on it."""

    what = "loss landscape image (the PNGs and landscape.npz in the run folder are still written)"

    def __init__(
        self,
        *,
        every_n_steps: int,
        every_n_epochs: int | None,
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
        self._params: list[tuple[str, torch.nn.Parameter]] = []
        self._points: list[torch.Tensor] = []
        self._steps: list[int] = []
        self._drawn_at: int | None = None

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self._params = watched_parameters(pl_module, self.root)

    def _record(self, step: int) -> None:
        if not self._steps or self._steps[-1] != step:
            self._points.append(ls.flatten([p for _, p in self._params]))
            self._steps.append(step)

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._points, self._steps, self._drawn_at = [], [], None
        if trainer.is_global_zero:
            self._record(trainer.global_step)

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: object) -> None:
        if trainer.is_global_zero and trainer.global_step % self.every_n_steps == 0:
            self._record(trainer.global_step)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.every_n_epochs and (trainer.current_epoch + 1) % self.every_n_epochs == 0 and trainer.is_global_zero:
            self._draw(trainer, pl_module, final=False)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.is_global_zero and self._steps:
            self._draw(trainer, pl_module, final=True)

    def _training_rows(self, trainer: L.Trainer, device: torch.device) -> tuple[torch.Tensor, torch.Tensor] | None:
        splits = getattr(trainer.datamodule, "splits", None)
        if not isinstance(splits, dict) or "train" not in splits:
            self.skip_once("the data module has no `splits['train']` to evaluate the loss on.")
            return None
        x, y = splits["train"]
        if len(x) > self.max_rows:  # a fixed sample: the same rows at every drawing
            rows = permutation(len(x), torch.Generator().manual_seed(self.seed))[: self.max_rows]
            x, y = x[rows], y[rows]
        return x.to(device), y.to(device)

    @torch.no_grad()
    def _draw(self, trainer: L.Trainer, pl_module: L.LightningModule, final: bool) -> None:
        began = time.perf_counter()
        writer = self.writer(trainer)
        loss_fn = getattr(pl_module, "loss_fn", None)
        if loss_fn is None:
            self.skip_once(f"{type(pl_module).__name__} has no `loss_fn` attribute to evaluate the landscape with.")
            return
        data = self._training_rows(trainer, pl_module.device)
        if data is None or (writer is None and not final):
            return
        self._record(trainer.global_step)
        result = self.compute(pl_module, loss_fn, *data)
        total = len(trainer.datamodule.splits["train"][0])
        rows = len(data[0])
        result["rows"] = np.array([rows, total])
        images = dict(self.pictures(result, rows, total, trainer.global_step))
        pictures = {name: png(image) for name, image in images.items()}
        if self._drawn_at != trainer.global_step:  # once a step: the last epoch's end is fit's
            for name, image in images.items():  # MLflow and W&B, where chosen; TensorBoard just below
                log_image(trainer, f"landscape/{name}", image, trainer.global_step, skip=(TensorBoardLogger,))
        if writer is not None and self._drawn_at != trainer.global_step:
            # The PNGs as encoded once, rather than add_image encoding each again.
            values = [
                Summary.Value(
                    tag=f"landscape/{name}",
                    image=Summary.Image(height=h, width=w, colorspace=3, encoded_image_string=data),
                )
                for name, (data, h, w) in pictures.items()
            ]
            writer._get_file_writer().add_summary(Summary(value=values), trainer.global_step)
        self._drawn_at = trainer.global_step
        if final and self.output_dir is not None:
            self.save(result, {name: data for name, (data, _, _) in pictures.items()})
        log.info(
            "Loss landscape at step %d drawn in %.0f ms", trainer.global_step, 1000 * (time.perf_counter() - began)
        )

    def compute(self, pl_module: L.LightningModule, loss_fn: object, x: torch.Tensor, y: torch.Tensor) -> dict:
        """The path, the plane, the grid and the line as NumPy arrays (see the module docstring)."""
        trajectory = torch.stack(self._points)
        self._points = list(trajectory)  # views of its rows: the path is held once, not twice
        origin = trajectory[-1]
        if self.directions == "pca":
            directions, shares = ls.pca_directions(trajectory, origin)
        else:
            directions, shares = ls.random_directions([p for _, p in self._params], self.seed), torch.zeros(2)
        path = ls.project(trajectory, origin, directions)
        alphas = ls.plane_axis(path[:, 0], self.resolution, self.margin)
        betas = ls.plane_axis(path[:, 1], self.resolution, self.margin)
        line_t = torch.arange(-10, 51) / 40  # -0.25 ... 1.25; 0 and 1 exactly
        a, b = ls.grid_coordinates(alphas, betas)
        # At most ROW_POINTS (grid point, row) pairs per call as well: each holds every layer's activations.
        chunk = min(self.chunk_size or len(a), max(ROW_POINTS // len(x), 1))
        prefix = f"{self.root}." if self.root else ""
        names = [prefix + name for name, _ in self._params]
        loss_at = ls.loss_function(pl_module, names, [p.shape for _, p in self._params], loss_fn, x, y)
        was_training = pl_module.training
        pl_module.eval()
        try:
            plane = ls.chunked_losses(
                loss_at, lambda r: ls.plane_points_at(origin, directions, a[r], b[r]).to(x.device), len(a), chunk
            )
            line = ls.chunked_losses(
                loss_at, lambda r: ls.line_points(trajectory[0], origin, line_t[r]).to(x.device), len(line_t), chunk
            )
            losses = torch.cat([plane, line]).float().cpu()
        finally:
            pl_module.train(was_training)
        grid = losses[: len(alphas) * len(betas)].reshape(len(betas), len(alphas))
        return {
            "steps": np.array(self._steps), "trajectory": trajectory.numpy(), "origin": origin.numpy(),
            "directions": directions.numpy(), "path": path.numpy(), "alphas": alphas.numpy(),
            "betas": betas.numpy(), "grid": grid.numpy(), "line_t": line_t.numpy(),
            "line_loss": losses[len(alphas) * len(betas):].numpy(), "shares": shares.numpy(),
            "names": np.array([name for name, _ in self._params]),
        }  # fmt: skip

    def pictures(self, result: dict, rows: int, total: int, step: int) -> list[tuple[str, np.ndarray]]:
        data = f"all {total} training rows" if rows == total else f"a fixed sample of {rows} of {total} training rows"
        if self.directions == "pca":
            names = tuple(f"PC{i + 1} ({100 * s:.0f}%)" for i, s in enumerate(result["shares"]))
            how = "plane of the path's 2 principal directions"
        else:
            names, how = ("random dir 1", "random dir 2"), "plane of 2 filter-normalised random directions"
        caption = f"loss on {data}, step {step}\n{how}, centred on the weights at step {step}"
        plane = render_plane(result["grid"], result["alphas"], result["betas"], result["path"], names, caption)
        line = render_line(result["line_t"], result["line_loss"], f"loss on {data}\ninitial -> step {step} weights")
        return [("plane", plane), ("line", line)]

    def save(self, result: dict, pictures: dict[str, bytes]) -> None:
        """plane.png, line.png and landscape.npz, each written to a temporary name and renamed: never half a file."""
        folder = self.output_dir / "landscape"
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in pictures.items():
            (folder / f".{name}.png.tmp").write_bytes(data)
            (folder / f".{name}.png.tmp").replace(folder / f"{name}.png")
        with open(folder / ".landscape.npz.tmp", "wb") as file:
            np.savez(file, **result)
        (folder / ".landscape.npz.tmp").replace(folder / "landscape.npz")
