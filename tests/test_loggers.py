"""MLflow, W&B offline and `logger=many` through the train task, read back with each tracker's own reader."""

import logging
import re
import struct
import sys
from pathlib import Path

import pytest
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
from PIL import Image

from backprop_lab.errors import MissingPackage
from backprop_lab.loggers import mlflow_store
from backprop_lab.runs.name import tensorboard_dir
from backprop_lab.train import build, train

from helpers import QUIET, TRAIN_SCRIPT, compose_train, read_metrics, run_in_process

NO_HISTOGRAMS = ["~callbacks.histograms"]


@pytest.fixture
def without_mlflow(monkeypatch):
    """As if mlflow were not installed."""
    monkeypatch.setattr(mlflow_store, "find_spec", lambda name: None)


def test_many_without_mlflow_logs_to_tensorboard_and_csv_and_says_so(tmp_path, without_mlflow, caplog):
    with caplog.at_level(logging.INFO, logger="backprop_lab"):
        _, _, trainer = build(compose_train(*QUIET, "logger=many", output_dir=tmp_path))
    assert [type(logger) for logger in trainer.loggers] == [TensorBoardLogger, CSVLogger]
    notes = [r.getMessage() for r in caplog.records if r.name.startswith("backprop_lab.loggers")]
    assert notes == ["MLflow is not installed (pip install -e '.[mlflow]'), so this run logs without it."]


def test_logger_mlflow_without_mlflow_says_what_to_install(tmp_path, without_mlflow):
    cfg = compose_train(*QUIET, "logger=mlflow", f"paths.log_dir={tmp_path / 'logs'}", output_dir=tmp_path / "run")
    with pytest.raises(MissingPackage, match=r"logger\.mlflow .* pip install -e '\.\[mlflow\]'"):
        train(cfg)
    assert read_metrics(tmp_path / "run")["status"] == "failed"


@pytest.mark.slow
@pytest.mark.mlflow
def test_many_logs_params_metrics_pictures_and_best_checkpoint_to_a_local_mlflow_store(tmp_path):
    mlflow = pytest.importorskip("mlflow", reason="the mlflow extra: pip install -e '.[mlflow]'")
    logs, run_dir = tmp_path / "logs", tmp_path / "run"
    cfg = compose_train(
        *QUIET,
        *NO_HISTOGRAMS,
        "logger=many",
        "tags=[baseline,xor]",
        "trainer.max_epochs=6",
        f"paths.log_dir={logs}",
        output_dir=run_dir,
    )
    train(cfg)
    summary = read_metrics(run_dir)
    assert summary["status"] == "success"
    assert list(tensorboard_dir(run_dir).glob("events.out.tfevents.*")) and (run_dir / "csv" / "metrics.csv").is_file()

    client = mlflow.MlflowClient(f"sqlite:///{logs}/mlflow/mlflow.db")  # the default store, read from outside
    experiment = client.get_experiment_by_name("train")
    (run,) = client.search_runs([experiment.experiment_id])
    run_id = run.info.run_id
    assert run.info.status == "FINISHED"
    assert run.data.tags["baseline"] == run.data.tags["xor"] == "true"
    assert run.data.tags["run_folder"] == str(run_dir)
    params = run.data.params
    assert (params["optimizer.lr"], params["model.net.hidden"], params["tags"]) == ("0.5", "[8]", "baseline,xor")

    val_loss = client.get_metric_history(run_id, "val/loss")
    assert len(val_loss) == 6 and val_loss[-1].value == pytest.approx(summary["metrics"]["val/loss"])
    assert run.data.metrics["test/acc"] == summary["metrics"]["test/acc"]  # logged after the fit had ended
    grad_norms = client.get_metric_history(run_id, "updates/hidden1.weight/grad_norm")  # telemetry: every 5th step
    assert [m.step for m in grad_norms] == list(range(0, 60, 5))

    pictures = [a.path for a in client.list_artifacts(run_id, "decision_boundary")]
    assert pictures == [f"decision_boundary/step_{step:06d}.png" for step in (0, 50)]  # at the start, every 5 epochs
    with Image.open(client.download_artifacts(run_id, pictures[-1], str(tmp_path))) as picture:
        assert picture.size == (180, 180)

    landscape = sorted(a.path for a in client.list_artifacts(run_id, "landscape"))
    assert landscape == ["landscape/line", "landscape/plane"]  # the landscape drawn at the end of fit, step 60
    assert [a.path for a in client.list_artifacts(run_id, "landscape/plane")] == ["landscape/plane/step_000060.png"]

    best = Path(summary["best_checkpoint"])
    logged = Path(client.download_artifacts(run_id, f"{best.stem}/{best.name}", str(tmp_path)))
    assert logged.read_bytes() == best.read_bytes()
    assert str(logs / "mlflow" / "artifacts") in experiment.artifact_location


def wandb_records(path: Path) -> list:
    """The records of an offline run's `.wandb` file (a LevelDB-style log of protobuf records).

    wandb has no public reader for offline runs: the file is a 7-byte header,
    then 32 KiB blocks of chunks, each `crc32 (4) | length (2) | type (1) | data`;
    type 1 is a whole record, 2-3-4 the first, middle and last parts of one.
    """
    from wandb.proto.wandb_internal_pb2 import Record

    data, block, pos, parts, records = path.read_bytes(), 32768, 7, b"", []
    while pos + 7 <= len(data):
        if block - pos % block < 7:  # a block's tail too short for a chunk header is padding
            pos += block - pos % block
            continue
        _, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        if kind == 0:
            break
        parts += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):
            records.append(Record.FromString(parts))
            parts = b""
    return records


@pytest.mark.slow
def test_wandb_offline_run_lands_in_the_run_folder_with_its_summary(train_run):
    pytest.importorskip("wandb", reason="the wandb extra: pip install -e '.[wandb]'")
    import json

    proc, run_dir = train_run("logger=wandb", "tags=[baseline]", "trainer.max_epochs=3", *NO_HISTOGRAMS)
    assert proc.returncode == 0, proc.stderr
    (run_file,) = run_dir.glob("wandb/offline-run-*/run-*.wandb")
    records = wandb_records(run_file)
    (run,) = [r.run for r in records if r.WhichOneof("record_type") == "run"]
    assert list(run.tags) == ["baseline"]
    summary = {}
    for record in records:
        if record.WhichOneof("record_type") == "summary":
            for item in record.summary.update:
                summary["/".join(item.nested_key) or item.key] = json.loads(item.value_json)
    metrics = read_metrics(run_dir)["metrics"]
    assert summary["test/acc"] == pytest.approx(metrics["test/acc"])
    assert summary["val/loss"] == pytest.approx(metrics["val/loss"])
    assert re.search(r"wandb sync \S+offline-run-", proc.stdout + proc.stderr)  # how to upload it later


def test_default_run_imports_neither_mlflow_nor_wandb(tmp_path, monkeypatch):
    """The trackers cost seconds to import: only a run that chose one may pay for it.

    Run here, with the trackers and this project's own modules taken out of
    `sys.modules` for the run (and put back after): whatever the run imports
    comes back into it, as it would in a fresh process.
    """
    roots = ("mlflow", "wandb", "backprop_lab")

    def watched() -> list[str]:
        return [name for name in sys.modules if name.split(".")[0] in roots]

    for name in watched():
        monkeypatch.delitem(sys.modules, name)  # put back when the test ends
    try:
        proc = run_in_process(TRAIN_SCRIPT, *QUIET, "trainer.max_epochs=1", f"hydra.run.dir={tmp_path}")
        imported = {name.split(".")[0] for name in sys.modules}
    finally:
        for name in watched():  # the run's copies go: later tests see one project, the one they imported
            del sys.modules[name]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "backprop_lab" in imported  # the measurement works: the run imported the project afresh
    assert not imported & {"mlflow", "wandb"}
    assert proc.stdout.startswith("CONFIG\n")  # the entry point prints the config tree first
