"""A real sweep, read back from its event files and through a real TensorBoard server's HTTP data API.

All slow: the module's sweep and server are built once per test worker, so its tests run together.
"""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from backprop_lab.errors import RunFolderError
from backprop_lab.runs.name import tensorboard_dir

from helpers import QUIET, TRAIN_SCRIPT, read_metrics, run_in_process

pytestmark = pytest.mark.slow

PARAMS = ["hidden1.weight", "hidden1.bias", "output.weight", "output.bias"]
UPDATE_TAGS = {
    *(f"updates/{p}/{k}" for p in PARAMS for k in ("grad_norm", "param_norm", "update_norm", "update_ratio_log10")),
    *(f"updates/total/{kind}" for kind in ("grad_norm", "update_norm", "update_ratio_log10")),
    "updates/reference/update_ratio_log10",
    "updates/lr/group0",
}
# TensorBoard names runs by folder: a sweep's job folders are named by what it varies, and hold their events.
SGD_RUN, ADAM_RUN = "optimizer=sgd", "optimizer=adam"
EPOCHS = 30  # XOR is solved in about 20 with the default SGD; full batch, so one step per epoch
FRAMES = list(range(0, EPOCHS + 1, 10))  # images and weight histograms: the initial weights, then every 10 epochs
PIXELS = 180  # configs/callbacks/decision_boundary.yaml: pixels


@pytest.fixture(scope="module")
def logdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-job sweep with the default config at one step an epoch, 30 epochs, update scalars every step and
    pictures every 10 epochs: SGD (job 0) and Adam (1)."""
    root = tmp_path_factory.mktemp("sweep")
    proc = run_in_process(
        TRAIN_SCRIPT,
        "-m",
        "optimizer=sgd,adam",
        f"trainer.max_epochs={EPOCHS}",
        f"hydra.sweep.dir={root}",
        *QUIET,
        "data.passes_per_epoch=1",
        "callbacks.update_telemetry.every_n_steps=1",
        "callbacks.decision_boundary.every_n_epochs=10",
        "callbacks.histograms.every_n_epochs=10",
    )
    assert proc.returncode == 0, proc.stderr
    return root


def events(run_dir: Path) -> EventAccumulator:
    accumulator = EventAccumulator(str(tensorboard_dir(run_dir)), size_guidance={"images": 0, "histograms": 0})
    accumulator.Reload()
    return accumulator


def test_event_files_hold_every_panel(logdir: Path):
    run = events(logdir / SGD_RUN)
    tags = run.Tags()
    assert set(tags["scalars"]) >= UPDATE_TAGS
    assert "hp_metric" not in tags["scalars"]
    assert [e.step for e in run.Scalars("updates/total/grad_norm")] == list(range(EPOCHS))  # every step by default

    assert [e.step for e in run.Images("decision_boundary")] == FRAMES
    image = run.Images("decision_boundary")[-1]
    assert image.encoded_image_string.startswith(b"\x89PNG") and image.width == image.height == PIXELS
    for p in PARAMS[:-1]:
        assert [e.step for e in run.Histograms(f"params/{p}")] == FRAMES
        assert [e.step for e in run.Histograms(f"grads/{p}")] == [step - 1 for step in FRAMES[1:]]
    # The one-value output bias: a scalar, not a histogram TensorBoard would draw one unit wide.
    assert [e.step for e in run.Scalars("params/output.bias")] == FRAMES
    assert "params/output.bias" not in tags["histograms"]

    val_acc = [e.value for e in run.Scalars("val/acc")]  # one value per epoch
    assert len(val_acc) == EPOCHS
    assert run.Scalars("val/epochs_to_solve")[-1].value == val_acc.index(1.0) + 1
    assert read_metrics(logdir / SGD_RUN)["metrics"]["test/acc"] == 1.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def poll(fetch: Callable[[], object], ready: Callable[[object], bool], timeout: float = 30) -> object:
    """Call `fetch` until `ready(result)`; the server loads event files in the background."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = fetch()
            if ready(result):
                return result
        except OSError:  # not listening yet
            result = None
        if time.monotonic() > deadline:
            raise AssertionError(f"TensorBoard did not serve the expected data within {timeout} s; last: {result!r}")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def tensorboard(logdir: Path) -> Iterator[Callable[..., object]]:
    """A real TensorBoard on 127.0.0.1 for the sweep; yields get(path, **query) / post(path, body). Always stopped."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tensorboard.main",
            "--logdir",
            str(logdir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--load_fast",
            "false",
            "--samples_per_plugin",
            "images=100",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # --load_fast false: one Python process to stop, no separate Rust data server
    base = f"http://127.0.0.1:{port}"

    def request(path: str, body: dict | None = None, **query: str) -> object:
        url = base + path + (f"?{urlencode(query)}" if query else "")
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "X-XSRF-Protected": "1"}
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=10) as reply:
            payload = reply.read()
        return json.loads(payload) if reply.headers.get_content_type() == "application/json" else payload

    try:
        poll(lambda: request("/data/runs"), lambda runs: {SGD_RUN, ADAM_RUN} <= set(runs))
        yield request
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_tensorboard_serves_scalars_images_and_histograms(tensorboard):
    scalars = poll(lambda: tensorboard("/data/plugin/scalars/tags"), lambda t: "test/acc" in t.get(SGD_RUN, {}))
    assert UPDATE_TAGS | {"train/loss", "val/acc", "val/epochs_to_solve"} <= set(scalars[SGD_RUN])
    points = tensorboard("/data/plugin/scalars/scalars", run=SGD_RUN, tag="updates/hidden1.weight/update_ratio_log10")
    assert len(points) == EPOCHS and all(-8 < value < 0 for _, _, value in points)

    assert "decision_boundary" in tensorboard("/data/plugin/images/tags")[SGD_RUN]
    frames = tensorboard("/data/plugin/images/images", run=SGD_RUN, tag="decision_boundary")
    assert [frame["step"] for frame in frames] == FRAMES
    png = tensorboard("/data/plugin/images/individualImage?" + frames[-1]["query"])
    assert png.startswith(b"\x89PNG")

    histograms = tensorboard("/data/plugin/histograms/tags")[SGD_RUN]
    assert {f"{kind}/{p}" for kind in ("params", "grads") for p in PARAMS[:-1]} <= set(histograms)
    assert tensorboard("/data/plugin/histograms/histograms", run=SGD_RUN, tag="grads/output.weight")


def test_runs_are_named_by_what_the_sweep_varies(tensorboard):
    assert sorted(tensorboard("/data/runs")) == [ADAM_RUN, SGD_RUN]  # what varies, and nothing else


def test_first_view_charts_one_quantity_each(tensorboard):
    layout = tensorboard("/data/plugin/custom_scalars/layout")
    charts = {
        c["title"]: {chart["title"]: chart["multiline"]["tag"] for chart in c["chart"]} for c in layout["category"]
    }
    assert list(charts) == ["story", "updates: whole network", "updates: per layer"]
    story = charts["story"]
    assert story["loss: train vs val"] == ["^train/loss$", "^val/loss$"]
    assert story["accuracy: train vs val"] == ["^train/acc$", "^val/acc$"]

    def chart_tags(patterns: list[str], run: str = SGD_RUN) -> set[str]:
        found = set()
        for pattern in patterns:
            reply = tensorboard("/data/plugin/custom_scalars/scalars", run=run, tag=pattern)
            assert reply["regex_valid"]
            found |= {tag for tag, points in reply["tag_to_events"].items() if points}
        return found

    assert chart_tags(story["loss: train vs val"][1:]) == {"val/loss"}
    reference = "updates/reference/update_ratio_log10"
    for kind in ("grad_norm", "update_norm", "update_ratio_log10"):
        (network,) = [tags for title, tags in charts["updates: whole network"].items() if kind_of(title) == kind]
        (layers,) = [tags for title, tags in charts["updates: per layer"].items() if kind_of(title) == kind]
        extra = {reference} if kind == "update_ratio_log10" else set()
        assert chart_tags(network) == {f"updates/total/{kind}"} | extra  # one line per run
        assert chart_tags(layers) == {f"updates/{p}/{kind}" for p in PARAMS} | extra  # one line per parameter
    for run in (SGD_RUN, ADAM_RUN):  # one lr tag for every optimizer, so a sweep's lr curves share a chart
        assert chart_tags(story["learning rate"], run) == {"lr"}


def kind_of(title: str) -> str:
    """The quantity a chart's title names."""
    if "ratio" in title:
        return "update_ratio_log10"
    return "grad_norm" if title.startswith("gradient") else "update_norm"


def test_hparams_tab_compares_the_sweep(tensorboard, logdir):
    experiment = tensorboard("/data/plugin/hparams/experiment", body={})
    columns = {info["name"] for info in experiment["hparamInfos"]}
    assert {"optimizer", "lr", "momentum", "beta1", "beta2", "sizes", "activation", "seed", "max_epochs"} <= columns
    # TensorBoard lists the columns marked `differs` first and ticks the first five for display: here the
    # optimizer the sweep varies, the lr, and momentum and the betas, which vary with the optimizer.
    shown = {"lr", "optimizer", "momentum", "beta1", "beta2"}
    assert {info["name"] for info in experiment["hparamInfos"][:5]} == shown
    assert {info["name"] for info in experiment["hparamInfos"] if info.get("differs")} == shown
    assert [m["name"]["tag"] for m in experiment["metricInfos"]] == [
        "test/acc",
        "test/loss",
        "val/loss",
        "val/epochs_to_solve",
    ]

    query = {
        "startIndex": 0,
        "sliceSize": 10,
        "allowedStatuses": ["STATUS_SUCCESS"],
        "aggregationType": "AGGREGATION_AVG",
    }
    groups = poll(
        lambda: tensorboard("/data/plugin/hparams/session_groups", body=query)["sessionGroups"],
        lambda groups: len(groups) == 2,
    )
    # Each row is named whole, in the sweep's order: the sweep's folder, the job number, what the job varies.
    names = [group["name"] for group in groups]
    assert names == [f"{logdir.name} #000 optimizer=sgd", f"{logdir.name} #001 optimizer=adam"]
    assert [group["sessions"][0]["name"] for group in groups] == [SGD_RUN, ADAM_RUN]
    runs = dict(zip((SGD_RUN, ADAM_RUN), groups, strict=True))
    sgd, adam = runs[SGD_RUN]["hparams"], runs[ADAM_RUN]["hparams"]
    assert sgd["optimizer"] == "SGD" and sgd["lr"] == 0.5 and sgd["momentum"] == 0.9 and "beta1" not in sgd
    assert adam["optimizer"] == "Adam" and adam["beta1"] == 0.9 and adam["beta2"] == 0.999
    assert sgd["sizes"] == "2-8-1" and sgd["activation"] == "Tanh" and sgd["seed"] == 0 and sgd["max_epochs"] == EPOCHS
    assert sgd["task"] == "binary"
    final = {m["name"]["tag"]: m["value"] for m in runs[SGD_RUN]["metricValues"]}
    assert final["test/acc"] == 1.0 and final["val/loss"] < 0.1 and 1 <= final["val/epochs_to_solve"] <= EPOCHS


def test_filmstrip_lays_out_the_runs_decision_boundaries(logdir: Path, tmp_path: Path):
    from PIL import Image

    from backprop_lab.analysis.filmstrip import read_frames, write_filmstrip

    frames = read_frames(logdir / SGD_RUN)
    assert sorted(frames) == FRAMES and frames[0].shape == (PIXELS, PIXELS, 3)
    out = write_filmstrip(frames, tmp_path / "strip.png", steps=[0, 10, 30], columns=3)
    assert Image.open(out).size[0] > 3 * 100
    missing = r"no image at step\(s\) \[5\]; the run has images at steps \[0, 10, 20, 30\]"
    with pytest.raises(RunFolderError, match=missing):
        write_filmstrip(frames, tmp_path / "bad.png", steps=[0, 5])
