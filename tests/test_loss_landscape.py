"""The loss-landscape callback, read back from what it wrote: the path, the plane, the loss on it, the line."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from backprop_lab.callbacks.landscape_image import (
    PLANE_LEFT,
    PLANE_TOP,
    axis_ticks,
    log_ticks,
    render_plane,
)
from backprop_lab.callbacks.landscape_math import (
    bounded_sizes,
    flatten,
    line_ts,
    plane_axes,
    random_directions,
    step_cosines,
)
from backprop_lab.callbacks.rows_sample import first_rows
from backprop_lab.runs.name import tensorboard_dir
from backprop_lab.train import build

from helpers import QUIET, compose_train

FAST = [
    *QUIET,
    "~callbacks.decision_boundary",
    "~callbacks.histograms",
    "~callbacks.model_checkpoint",
    "~callbacks.last_checkpoint",
    "callbacks.loss_landscape.every_n_steps=1",
]


def fit(tmp_path: Path, *overrides: str) -> tuple[torch.Tensor, torch.nn.Module, tuple, dict, Path]:
    """Train in this process; return the initial weights, the trained module, the first training rows, landscape.npz."""
    cfg = compose_train(*FAST, *overrides, output_dir=tmp_path)
    datamodule, model, trainer = build(cfg)
    initial = flatten(list(model.net.parameters()))
    trainer.fit(model, datamodule=datamodule)
    folder = tmp_path / "landscape"
    for name in ("plane.png", "line.png"):  # PNGs that a reader decodes in full
        with Image.open(folder / name) as picture:
            picture.load()
            assert picture.format == "PNG" and picture.mode == "RGB" and min(picture.size) > 200
    with np.load(folder / "landscape.npz", allow_pickle=False) as saved:  # plain arrays: no pickles needed
        result = {name: saved[name] for name in saved.files}
    return initial, model, first_rows(datamodule.train_dataloader(), 2048), result, tmp_path


@pytest.fixture(scope="module")
def sgd_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("landscape")
    return fit(folder, "trainer.max_epochs=3", "callbacks.loss_landscape.every_n_epochs=2")


def test_path_runs_from_the_initial_to_the_final_weights_on_the_plane(sgd_run):
    initial, model, _, saved, _ = sgd_run
    final = flatten(list(model.net.parameters()))
    trajectory, directions = torch.tensor(saved["trajectory"]), torch.tensor(saved["directions"])
    assert torch.equal(trajectory[0], initial) and torch.equal(trajectory[-1], final)
    assert list(saved["steps"]) == list(range(31))  # 3 epochs of 10 full-batch steps, every step
    assert torch.allclose(directions @ directions.T, torch.eye(2), atol=1e-5)  # principal directions: orthonormal
    path = torch.tensor(saved["path"])
    assert torch.allclose(path[0], directions @ (initial - final), atol=1e-5)
    assert torch.equal(path[-1], torch.zeros(2))
    assert saved["shares"][0] > 0.5 and saved["shares"].sum() <= 1 + 1e-6


def test_pictures_go_to_tensorboard_every_n_epochs_and_at_the_end(sgd_run):
    events = EventAccumulator(str(tensorboard_dir(sgd_run[4])), size_guidance={"images": 0})
    events.Reload()
    for tag in ("landscape/plane", "landscape/line"):  # every_n_epochs=2: after epoch 2 (step 20), then the end
        assert [e.step for e in events.Images(tag)] == [20, 30]


def test_landscape_at_the_final_point_is_the_final_training_loss(sgd_run):
    initial, model, (x, y), saved, _ = sgd_run
    model.eval()
    with torch.no_grad():
        final_loss = float(model.loss_fn(model(x), y))
    row, col = int(np.flatnonzero(saved["betas"] == 0)[0]), int(np.flatnonzero(saved["alphas"] == 0)[0])
    assert saved["grid"][row, col] == pytest.approx(final_loss, abs=1e-6)
    t = saved["line_t"]
    assert saved["line_loss"][np.flatnonzero(t == 1.0)[0]] == pytest.approx(final_loss, abs=1e-6)
    assert saved["line_loss"][np.flatnonzero(t == 0.0)[0]] > final_loss  # training lowered the loss


@pytest.mark.parametrize(("lr", "zigzag"), [(0.05, False), (10.0, True)])
def test_too_large_a_learning_rate_zigzags(tmp_path, lr, zigzag):
    _, _, _, saved, _ = fit(tmp_path, "optimizer.momentum=0", f"optimizer.lr={lr}", "trainer.max_epochs=3")
    cosines = step_cosines(torch.tensor(saved["path"]))
    reversing = float((cosines < 0).float().mean())
    assert (reversing > 0.5) == zigzag, f"lr={lr}: {reversing:.0%} of the steps turn back"


def test_random_directions_are_filter_normalised():
    weight, bias = torch.randn(8, 2), torch.randn(8)
    directions = random_directions([weight, bias], seed=3)
    assert directions.shape == (2, 24)
    for d in directions:
        rows = d[:16].view(8, 2)
        assert torch.allclose(rows.norm(dim=1), weight.norm(dim=1), rtol=1e-5)
        assert torch.equal(d[16:], torch.zeros(8))  # biases are left out, as in Li et al. (2018)


def fake_job(sweep: Path, number: int, optimizer: str, lr: float, trajectory: np.ndarray) -> None:
    job = sweep / str(number)
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "config.yaml").write_text(f"optimizer:\n  _target_: torch.optim.{optimizer}\n  lr: {lr}\n")
    (job / "landscape").mkdir()
    np.savez(job / "landscape" / "landscape.npz", trajectory=trajectory.astype(np.float32))


def test_sweep_paths_share_one_plane_when_the_jobs_share_their_start(tmp_path):
    from backprop_lab.analysis.landscape_paths import shared_plane, write_landscape_paths

    start = np.zeros(5)
    crawl = np.stack([start + t * np.array([0, 0.1, 0, 0, 0]) for t in range(5)])
    zigzag = np.stack([start + np.array([t, t % 2, 0, 0, 0]) for t in range(6)])
    paths, shares = shared_plane([crawl, zigzag])
    assert np.allclose(paths[0][0], 0) and np.allclose(paths[1][0], 0)  # the shared start is the origin
    assert shares.sum() == pytest.approx(1.0)  # every path lies in the plane of the first two coordinates
    for path, trajectory in zip(paths, (crawl, zigzag), strict=True):  # in that plane, distances are kept
        assert np.allclose(np.linalg.norm(path, axis=1), np.linalg.norm(trajectory, axis=1), atol=1e-5)

    fake_job(tmp_path, 0, "SGD", 0.01, crawl)
    fake_job(tmp_path, 1, "SGD", 10.0, zigzag)
    picture = write_landscape_paths(tmp_path)
    assert picture == tmp_path / "landscape_paths.png" and picture.read_bytes().startswith(b"\x89PNG")

    fake_job(tmp_path, 2, "Adam", 0.1, zigzag + 1.0)  # another start: another seed or network
    assert "do not start from the same weights" in write_landscape_paths(tmp_path)


def test_the_plane_is_drawn_to_scale():
    """A path that moved 18.7 units along PC1 and 2.7 along PC2 is drawn 18.7 : 2.7 or, widened, still to scale."""
    path = torch.tensor([[18.7, 2.7], [9.0, -1.0], [0.0, 0.0]])
    alphas, betas = plane_axes(path, resolution=25, margin=0.25)
    assert np.allclose(np.diff(alphas.numpy()), np.diff(alphas.numpy())[0], rtol=1e-4)
    assert np.diff(betas.numpy())[1] == pytest.approx(np.diff(alphas.numpy())[1], rel=1e-4)  # one grid spacing
    assert 0.0 in alphas.tolist() and 0.0 in betas.tolist()
    span_a, span_b = float(alphas[-1] - alphas[0]), float(betas[-1] - betas[0])
    assert span_b >= 2.7 and span_b / span_a >= 1 / 3 - 0.05  # widened to a third of the plane, not stretched

    grid = np.exp(-np.add.outer(betas.numpy() ** 2, alphas.numpy() ** 2))
    image = render_plane(grid, alphas.numpy(), betas.numpy(), path.numpy(), ("PC1 (99%)", "PC2 (1%)"), "caption")
    coloured = (image != 255).any(axis=2)
    left, top = PLANE_LEFT, PLANE_TOP  # where render_plane puts the field
    width = int(np.argmin(coloured[top + 1, left:]))  # the field ends where the white gap before the bar starts
    height = int(np.argmin(coloured[top:, left + 1]))
    assert width / height == pytest.approx(span_a / span_b, rel=0.02)


def test_the_colour_bar_and_the_line_have_labelled_log_ticks():
    assert log_ticks(-4.2, -0.5) == [-4.0, -3.0, -2.0, -1.0]  # 1e-4 ... 0.1
    assert [round(10**t, 6) for t in log_ticks(np.log10(0.15), np.log10(0.9))] == [0.2, 0.5]
    assert axis_ticks(-0.25, 1.25) == [-0.25, 0.0, 0.25, 0.5, 0.75, 1.0, 1.25]


def test_the_drawing_costs_a_bounded_share_of_the_run():
    """XOR's 4 rows keep the whole 25 x 25 grid; on 1079 digits rows a small budget cuts rows, then the grid."""
    assert bounded_sizes(25, 4, 4096, 32) == (25, 4)
    resolution, rows = bounded_sizes(25, 1079, 6000, 32)
    assert rows >= 32 and resolution < 25
    assert (resolution**2 + len(line_ts(resolution))) * rows <= 6000
    assert bounded_sizes(25, 1079, None, 32) == (25, 1079)
