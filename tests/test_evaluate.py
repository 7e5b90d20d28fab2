"""Eval and predict from a training run's checkpoint, through the scripts' Hydra entry points."""

import re
from pathlib import Path

import pytest
from omegaconf import DictConfig, OmegaConf

from backprop_lab.errors import UserError
from backprop_lab.predict import predict

from helpers import EVAL_SCRIPT, PREDICT_SCRIPT, read_metrics, run_in_process


@pytest.fixture
def trained(trained_run) -> Path:
    """The session's default run (it solves XOR): every test here reads from it."""
    return trained_run


def test_eval_reproduces_the_training_runs_test_metrics(trained, tmp_path):
    training = read_metrics(trained)
    proc = run_in_process(
        EVAL_SCRIPT,
        f"ckpt_path={training['best_checkpoint']}",
        f"hydra.run.dir={tmp_path}",
        "trainer.enable_progress_bar=false",
    )
    assert proc.returncode == 0, proc.stderr
    evaluated = read_metrics(tmp_path)
    assert evaluated["status"] == "success" and evaluated["loaded_checkpoint"] == training["best_checkpoint"]
    for name in ["test/loss", "test/acc", "test/auroc"]:
        assert evaluated["metrics"][name] == pytest.approx(training["metrics"][name], abs=1e-7), name
    assert (tmp_path / ".hydra" / "config.yaml").is_file() and (tmp_path / "tensorboard").is_dir()


def test_predict_prints_probabilities_and_classes(trained, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    last = trained / "checkpoints" / "last.ckpt"
    proc = run_in_process(PREDICT_SCRIPT, f"ckpt_path={last}", "inputs=[[0,0],[0,1],[1,0],[1,1]]")
    assert proc.returncode == 0, proc.stderr
    header, *rows = [line.split("\t") for line in proc.stdout.strip().splitlines()]
    assert header == ["x1", "x2", "probability", "class"]
    assert [int(r[3]) for r in rows] == [0, 1, 1, 0]  # XOR, solved
    assert all(0 <= float(r[2]) <= 1 for r in rows)
    assert list(tmp_path.iterdir()) == []  # predicting writes nothing


def predict_cfg(trained: Path, **inputs) -> DictConfig:
    return OmegaConf.create(
        {
            "ckpt_path": str(trained / "checkpoints" / "last.ckpt"),
            "inputs": None,
            "inputs_csv": None,
            "threshold": 0.5,
            **inputs,
        }
    )


def test_predict_reads_a_csv_with_a_header(trained, tmp_path):
    (tmp_path / "points.csv").write_text("a,b\n1,0\n1,1\n")
    results = predict(predict_cfg(trained, inputs_csv=str(tmp_path / "points.csv")))
    assert [(row, cls) for row, _, cls in results] == [([1.0, 0.0], 1), ([1.0, 1.0], 0)]


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"inputs": [[0, 1, 1]]}, "has 3 values, but the model takes 2 features"),
        ({"inputs": [[0, float("nan")]]}, "every value must be a finite number"),
        ({}, "Give exactly one of inputs="),
        ({"inputs_csv": "missing.csv"}, "inputs_csv=missing.csv does not exist"),
        (
            {"inputs": [[0, 1]], "threshold": "high"},
            "threshold='high' is not allowed: it must be a number strictly between 0 and 1",
        ),
    ],
)
def test_predict_rejects_bad_inputs_with_a_clear_message(trained, inputs, message):
    with pytest.raises(UserError, match=re.escape(message)):
        predict(predict_cfg(trained, **inputs))
