"""Sweeps through Hydra's launcher plugins: joblib side by side, submitit's local path to SLURM, and without them.

The jobs run in processes the launcher starts (joblib's pool, submitit's
subprocesses): each pays Lightning's import, so the sweeps are tiny.
"""

import json
import os
import signal
import socket
import subprocess
import sys

import lightning as L
import pytest
import torch
from hydra.core.hydra_config import HydraConfig

from backprop_lab.runs.name import tensorboard_dir

from helpers import COMPARE_SCRIPT, PICTURES_OFF, QUIET, ROOT, TRAIN_SCRIPT, read_metrics, run_in_process, table_rows

GRID = ["optimizer=sgd,adam", "trainer.max_epochs=3", *QUIET, *PICTURES_OFF]


def sweep(sweep_dir, *overrides: str) -> subprocess.CompletedProcess:
    return run_in_process(TRAIN_SCRIPT, "-m", *overrides, f"hydra.sweep.dir={sweep_dir}")


def docs_lines(page: str) -> list[str]:
    return [line.strip() for line in (ROOT / "docs" / page).read_text().splitlines()]


def weights(job_dir) -> dict[str, torch.Tensor]:
    return torch.load(job_dir / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)["state_dict"]


@pytest.mark.slow
def test_joblib_runs_the_grid_side_by_side_to_the_serial_sweeps_results_bit_for_bit(tmp_path):
    serial, parallel = tmp_path / "serial", tmp_path / "joblib"
    assert sweep(serial, *GRID).returncode == 0
    proc = sweep(parallel, *GRID, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2")
    assert proc.returncode == 0, proc.stderr
    for job in ("optimizer=sgd", "optimizer=adam"):  # each job's folder is named by what the sweep varies
        ran_alone, ran_beside = read_metrics(serial / job), read_metrics(parallel / job)
        assert ran_beside["status"] == "success" and ran_beside["metrics"] == ran_alone["metrics"]
        assert ran_beside["global_step"] == ran_alone["global_step"] > 0
        alone, beside = weights(serial / job), weights(parallel / job)
        assert alone.keys() == beside.keys() and all(torch.equal(alone[k], beside[k]) for k in alone)
        assert tensorboard_dir(parallel / job) == parallel / job  # its events in it: TensorBoard names it so


class KillsJobOne(L.Callback):
    """Job 1 of a sweep ends its own process with SIGKILL after its first epoch, as the out-of-memory killer would."""

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if HydraConfig.get().job.num == 1:
            os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.slow
def test_submitit_local_runs_every_job_and_the_table_shows_the_failed_the_killed_and_the_finished(
    tmp_path, monkeypatch
):
    import submitit

    # submitit's job processes import the callback from this module, as a forker's own callback from its package.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")])))
    # submitit waits 15 s for a killed job's result file, in case a network file system shows it late; not here.
    monkeypatch.setattr(submitit.LocalJob, "_results_timeout_s", 0)
    kill = f"+callbacks.kill._target_={__name__}.KillsJobOne"
    grid = ["optimizer.lr=-1,0.1,0.5", "trainer.max_epochs=3", kill, *QUIET, *PICTURES_OFF]
    proc = sweep(tmp_path, "hydra/launcher=submitit_local", *grid)
    # Job 0 fails (a rejected lr), job 1 is killed mid-run: every job ran, the sweep ends with code 1 and the table.
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    table = proc.stderr[proc.stderr.index("job  status") :].splitlines()
    assert table[1].split()[:3] == ["0", "failed", "optimizer.lr=-1"]
    assert table[2].split() == ["1", "killed", "optimizer.lr=0.1"]
    assert table[3].split() == ["2", "success", "optimizer.lr=0.5"]
    failed, killed, finished = (read_metrics(tmp_path / f"optimizer.lr={lr}") for lr in ("-1", "0.1", "0.5"))
    assert failed["status"] == "failed" and "optimizer.lr=-1" in failed["error"]
    assert killed["status"] == "running" and killed["finished_at"] is None  # it never recorded its end
    assert finished["status"] == "success" and finished["epochs"] == 3 and finished["metrics"]["test/acc"] >= 0
    assert tensorboard_dir(tmp_path / "optimizer.lr=0.5") == tmp_path / "optimizer.lr=0.5"
    assert len(list((tmp_path / ".submitit").glob("*/*_result.pkl"))) == 2  # each job in its own process

    report = run_in_process(COMPARE_SCRIPT, str(tmp_path))
    assert report.returncode == 0, report.stderr
    rows = table_rows((tmp_path / "comparison.md").read_text())
    assert [rows[job]["status"] for job in "012"] == ["failed", "killed", "success"]


@pytest.mark.parametrize(
    ("choice", "hidden", "extra"),
    [
        ("hydra/launcher=joblib", "joblib", "joblib"),
        ("hydra/launcher=submitit_local", "submitit", "submitit"),
        ("hydra/launcher=slurm", "submitit", "submitit"),
        ("hparams_search=xor_optuna", "optuna", "search"),
    ],
)
def test_a_sweep_whose_plugin_is_not_installed_is_refused_with_the_install_command(
    choice, hidden, extra, tmp_path, monkeypatch
):
    monkeypatch.setitem(sys.modules, hidden, None)  # as if the package were not installed: it cannot be imported
    proc = sweep(tmp_path / "sweep", choice, "optimizer=sgd,adam")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    message = proc.stderr.strip()
    assert message.startswith("error: ") and len(message.splitlines()) == 1, message
    assert f'pip install -e ".[{extra}]"' in message and hidden in message
    assert not (tmp_path / "sweep").exists()  # refused before anything was written


def test_starting_up_imports_no_launcher_or_search_package():
    """Hydra imports every plugin module at start-up; the plugins' own packages wait until a sweep uses them."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['scripts/train.py', '--cfg', 'job']\n"
        "try:\n    runpy.run_path('scripts/train.py', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('joblib', 'submitit', 'optuna', 'sqlalchemy')))\n"
        "print('hydra_plugins.hydra_submitit_launcher.submitit_launcher' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    *_, imported, scanned = proc.stdout.strip().splitlines()
    assert scanned == "True", proc.stdout  # the plugins were scanned, as for any run
    assert imported == "[]"


def test_the_sweeps_table_shows_a_job_whose_process_was_killed_as_killed(tmp_path):
    """A cancelled SLURM job or an out-of-memory kill ends the job's process before it can record its end."""
    from backprop_lab.runs.failed_sweep import job_rows

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    records = {
        "0": {"status": "success", "metrics": {}},
        "1": {"status": "running", "pid": int(gone.stdout), "host": socket.gethostname(), "metrics": {}},
    }
    for job, record in records.items():
        (tmp_path / job / ".hydra").mkdir(parents=True)
        (tmp_path / job / ".hydra" / "config.yaml").write_text("seed: 0\n")
        (tmp_path / job / ".hydra" / "overrides.yaml").write_text(f"- seed={job}\n")
        (tmp_path / job / "metrics.json").write_text(json.dumps(record))
    assert [row[:3] for row in job_rows(tmp_path)] == [("0", "success", "seed=0"), ("1", "killed", "seed=1")]


@pytest.mark.slow  # Hydra composes each of the grid's 18 job configs before handing them over
def test_the_documented_slurm_command_asks_slurm_for_what_it_says(tmp_path, monkeypatch):
    """docs/distributed.md's knobs reach submitit's SLURM executor; the jobs are caught before sbatch runs."""
    import submitit

    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "srun").write_text("#!/bin/sh\n")  # submitit looks for it to tell it is on a cluster
    (tmp_path / "bin" / "srun").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    submitted = {}

    def hold(executor, function, *job_args):
        submitted.update(executor._executor.parameters, jobs=len(job_args[0]), cluster=executor.cluster)
        raise RuntimeError("held before sbatch")

    monkeypatch.setattr(submitit.AutoExecutor, "map_array", hold)
    commands = [line for line in docs_lines("distributed.md") if line.startswith("python scripts/train.py")]
    line = next(line for line in commands if "hydra/launcher=slurm" in line)
    args = line.split("scripts/train.py", 1)[1].split()
    sweep(tmp_path / "sweep", *[a for a in args if a not in ("-m",) and not a.startswith("hydra.sweep.dir=")])
    assert submitted["cluster"] == "slurm" and submitted["jobs"] == 18  # the grid, as one job array
    assert (submitted["partition"], submitted["time"], submitted["gpus_per_node"]) == ("gpu", 30, 1)
    assert (submitted["cpus_per_task"], submitted["array_parallelism"]) == (4, 8)  # cpus_per_task: torch_threads
