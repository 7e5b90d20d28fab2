"""An MLflow store the run cannot use ends it in one paragraph; parallel runs into one new SQLite store all land."""

import multiprocessing
import time
import traceback
from pathlib import Path

import pytest

from backprop_lab.errors import StoreUnavailable
from backprop_lab.train import train

from helpers import QUIET, compose_train, read_metrics

pytestmark = pytest.mark.mlflow


def train_into(tmp_path: Path, tracking_uri: str) -> Path:
    run_dir = tmp_path / "run"
    overrides = [*QUIET, "logger=mlflow", f"logger.mlflow.tracking_uri={tracking_uri}", "trainer.max_epochs=1"]
    with pytest.raises(StoreUnavailable) as refused:
        train(compose_train(*overrides, f"paths.log_dir={tmp_path / 'logs'}", output_dir=run_dir))
    message = str(refused.value)
    assert message.startswith(f"The MLflow store {tracking_uri.split('///')[0]}") and "\n" not in message
    assert "The run folder and its checkpoints are kept." in message
    summary = read_metrics(run_dir)
    assert summary["status"] == "failed" and "StoreUnavailable" in summary["error"]
    return run_dir


def test_a_store_folder_that_cannot_be_made_is_one_paragraph(tmp_path):
    pytest.importorskip("mlflow", reason="the mlflow extra: pip install -e '.[mlflow]'")
    (tmp_path / "a_file").write_text("not a folder")
    train_into(tmp_path, f"sqlite:///{tmp_path / 'a_file' / 'mlflow.db'}")


def test_a_store_that_cannot_be_opened_is_one_paragraph(tmp_path):
    pytest.importorskip("mlflow", reason="the mlflow extra: pip install -e '.[mlflow]'")
    (tmp_path / "taken.db").mkdir()  # a folder where the database file would be: SQLite cannot open it
    train_into(tmp_path, f"sqlite:///{tmp_path / 'taken.db'}")


def test_an_unreachable_server_fails_within_seconds(tmp_path):
    pytest.importorskip("mlflow", reason="the mlflow extra: pip install -e '.[mlflow]'")
    start = time.monotonic()
    train_into(tmp_path, "http://127.0.0.1:9")  # the discard port: nothing listens there
    assert time.monotonic() - start < 30  # MLflow's own retries took 252 s


def log_one_run(store: Path, number: int, start: multiprocessing.Barrier, results: multiprocessing.Queue) -> None:
    """One run's whole use of the store, as a training run makes it: params, metrics, an artifact, the end."""
    from backprop_lab.loggers.mlflow_store import LocalMLFlowLogger

    try:
        start.wait()
        logger = LocalMLFlowLogger(
            tracking_uri=f"sqlite:///{store / 'mlflow.db'}", artifact_location=str(store / "artifacts")
        )
        logger.log_hyperparams({"run": number})
        for step in range(3):
            logger.log_metrics({"val/loss": 1.0 / (step + 1)}, step=step)
        artifact = store / f"best-{number}.ckpt"
        artifact.write_text(str(number))
        logger.experiment.log_artifact(logger.run_id, str(artifact))
        logger.finalize("success")
        results.put((number, "ok"))
    except BaseException as err:  # reported to the test, which names it
        results.put((number, "".join(traceback.format_exception_only(err)).strip()))


@pytest.mark.slow
@pytest.mark.parametrize("runs", [3, 10])
def test_parallel_runs_into_one_new_sqlite_store_all_land(tmp_path, runs):
    mlflow = pytest.importorskip("mlflow", reason="the mlflow extra: pip install -e '.[mlflow]'")
    store = tmp_path / "mlflow"
    context = multiprocessing.get_context("fork")  # the imports are done: each run starts at once
    start, results = context.Barrier(runs), context.Queue()
    workers = [context.Process(target=log_one_run, args=(store, n, start, results)) for n in range(runs)]
    for worker in workers:
        worker.start()
    outcomes = dict(results.get(timeout=240) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
    assert outcomes == {n: "ok" for n in range(runs)}

    client = mlflow.MlflowClient(f"sqlite:///{store / 'mlflow.db'}")
    found = client.search_runs([client.get_experiment_by_name("train").experiment_id])
    assert sorted(int(run.data.params["run"]) for run in found) == list(range(runs))
    for run in found:
        assert run.info.status == "FINISHED"
        assert [m.value for m in client.get_metric_history(run.info.run_id, "val/loss")] == [1.0, 0.5, 1 / 3]
        assert [a.path for a in client.list_artifacts(run.info.run_id)] == [f"best-{run.data.params['run']}.ckpt"]
