"""A grid sweep through scripts/train.py -m (in this process), and the comparison report read from its folders."""

import pytest
from PIL import Image
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from backprop_lab.runs.name import tensorboard_dir

from helpers import COMPARE_SCRIPT, PICTURES_OFF, QUIET, TRAIN_SCRIPT, read_metrics, run_in_process, table_rows

# Hydra numbers jobs optimizer-major: 0-2 SGD, 3-5 Adam; lr -1 (rejected), 0.5, 1000 (blows up).
OPTIMIZERS, LRS = ["SGD", "Adam"], ["-1", "0.5", "1000"]


# The report reads what every run logs (metrics.json, the loss and accuracy curves), not the pictures and update
# statistics, which never change training (tests/test_update_telemetry.py) and cost a third of each job.
def first_perfect_epoch(job_dir) -> str:
    """Read straight from the event file: the epoch of the first val/acc == 1.0."""
    events = EventAccumulator(str(tensorboard_dir(job_dir)), size_guidance={"scalars": 0})
    events.Reload()
    epoch_at = {e.step: int(e.value) for e in events.Scalars("epoch")}
    return next((str(epoch_at[e.step]) for e in events.Scalars("val/acc") if e.value == 1.0), "never")


@pytest.mark.slow
def test_grid_records_each_job_and_the_report_reads_them_back(tmp_path):
    proc = run_in_process(
        TRAIN_SCRIPT,
        "-m",
        "optimizer=sgd,adam",
        f"optimizer.lr={','.join(LRS)}",
        "trainer.max_epochs=8",
        "data.passes_per_epoch=1",  # one step an epoch: the verdicts below read an 8-point loss curve
        f"hydra.sweep.dir={tmp_path}",
        *QUIET,
        *PICTURES_OFF,
    )
    # Some jobs failed: the sweep ran them all and exits 1.
    assert proc.returncode == 1, proc.stderr
    # Job n is optimizer n // 3 at lr n % 3, in a folder named by what the sweep varies.
    folders = [f"optimizer={o.lower()},optimizer.lr={lr}" for o in OPTIMIZERS for lr in LRS]
    jobs = {str(n): tmp_path / folder for n, folder in enumerate(folders)}
    for name, job_dir in jobs.items():
        assert (job_dir / ".hydra" / "config.yaml").is_file(), name
        metrics = read_metrics(job_dir)
        if LRS[int(name) % 3] == "-1":
            assert metrics["status"] == "failed" and "optimizer.lr=-1" in metrics["error"]
        else:  # including the jobs that ran after a failed one
            assert metrics["status"] == "success", metrics["error"]
            assert list(tensorboard_dir(job_dir).glob("events.out.tfevents.*"))
            assert (job_dir / "checkpoints" / "last.ckpt").is_file()

    report = run_in_process(COMPARE_SCRIPT, str(tmp_path))
    assert report.returncode == 0, report.stderr
    rows = table_rows((tmp_path / "comparison.md").read_text())
    assert sorted(rows) == sorted(jobs)
    for name, row in rows.items():
        assert (row["optimizer"], row["lr"]) == (OPTIMIZERS[int(name) // 3], LRS[int(name) % 3])
        metrics = read_metrics(jobs[name])
        assert row["status"] == metrics["status"]
        if metrics["status"] == "failed":
            assert row["final train loss"] == row["test/acc"] == row["loss"] == "-"
            continue
        assert float(row["final train loss"]) == pytest.approx(metrics["metrics"]["train/loss"], rel=1e-3)
        assert float(row["test/acc"]) == pytest.approx(metrics["metrics"]["test/acc"], abs=0.005)
        assert row["first epoch acc = 1.0"] == first_perfect_epoch(jobs[name])
        assert (row["loss"] == "diverged") == (row["lr"] == "1000"), row

    with Image.open(tmp_path / "comparison.png") as image:
        image.verify()
        assert image.format == "PNG" and image.size[0] > 400


def test_compare_runs_names_a_folder_without_jobs(tmp_path):
    proc = run_in_process(COMPARE_SCRIPT, str(tmp_path))
    assert proc.returncode == 2
    assert "holds no job folders" in proc.stderr and "Traceback" not in proc.stderr
