"""Bad checkpoints and run folders: each gets one clear paragraph, a non-zero exit, nothing that looks like success."""

import functools
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from backprop_lab.errors import CheckpointError
from backprop_lab.evaluate import evaluate, restore_model
from backprop_lab.runs.checkpoints import find_last_checkpoint, load_checkpoint
from backprop_lab.train import build, train

from helpers import compose_train, read_metrics


def fake_run(run_dir: Path, *overrides: str) -> Path:
    """A run folder as training leaves it (config + checkpoint), without training: the weights are the initial ones."""
    cfg = compose_train(*overrides, output_dir=run_dir)
    _, model, _ = build(cfg)
    (run_dir / ".hydra").mkdir(parents=True)
    OmegaConf.save(cfg, run_dir / ".hydra" / "config.yaml")
    (run_dir / "checkpoints").mkdir()
    path = run_dir / "checkpoints" / "last.ckpt"
    torch.save({"state_dict": model.state_dict(), "epoch": 0, "global_step": 0}, path)
    return path


def test_a_good_checkpoint_restores_the_model(tmp_path):
    model, datamodule, _ = restore_model(fake_run(tmp_path))
    assert model(datamodule.splits["test"][0]).shape == (4,)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"", "cannot be read"),
        (b"not a checkpoint at all", "cannot be read"),
        ("truncated", "cannot be read"),
        ({"weights": torch.zeros(2)}, "not a Lightning checkpoint"),
        ({"state_dict": {}, "loss": functools.partial(print)}, "Refusing to load"),
    ],
    ids=["missing", "empty", "text", "truncated", "no state_dict", "needs unpickling"],
)
def test_bad_checkpoint_files_are_named_with_the_fix(tmp_path, content, message):
    path = tmp_path / "model.ckpt"
    if content == "truncated":
        good = fake_run(tmp_path / "run")
        path.write_bytes(good.read_bytes()[:200])
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        torch.save(content, path)
    with pytest.raises(CheckpointError, match=message) as err:
        load_checkpoint(path)
    assert str(path) in str(err.value)


def test_checkpoint_of_another_model_shape_names_the_layer(tmp_path):
    ckpt = fake_run(tmp_path / "wide", "model.net.hidden=[16]")
    narrow = fake_run(tmp_path / "narrow")
    ckpt.replace(narrow)  # a [16]-wide checkpoint in a run folder whose config says [8]
    expected = r"different model: net.hidden1.weight: checkpoint \(16, 2\), model \(8, 2\)"
    with pytest.raises(CheckpointError, match=expected):
        restore_model(narrow)


def test_resume_from_a_folder_without_checkpoints_says_so(tmp_path):
    with pytest.raises(CheckpointError, match="No last.ckpt in"):
        find_last_checkpoint(tmp_path)


def test_eval_of_a_checkpoint_outside_a_run_folder_fails_and_says_why(tmp_path):
    stray = tmp_path / "stray.ckpt"
    fake_run(tmp_path / "run").replace(stray)
    cfg = OmegaConf.create({"ckpt_path": str(stray), "paths": {"output_dir": str(tmp_path / "eval")}})
    with pytest.raises(CheckpointError, match="is not inside a training run folder"):
        evaluate(cfg)
    assert read_metrics(tmp_path / "eval")["status"] == "failed"


def test_resuming_from_a_corrupt_checkpoint_stops_before_training(tmp_path):
    """In-process; tests/test_stop_on_nan.py shows the script turning such an error into one line and exit code 2."""
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(b"\x00" * 64)
    run_dir = tmp_path / "run"
    with pytest.raises(CheckpointError, match=f"Checkpoint {corrupt} cannot be read"):
        train(compose_train(f"ckpt_path={corrupt}", "~callbacks.progress_bar", output_dir=run_dir))
    assert read_metrics(run_dir)["status"] == "failed"
    assert not (run_dir / "checkpoints").exists()


def test_a_run_folder_that_cannot_be_written_stops_the_run_before_anything(train_process, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    proc, _ = train_process(f"hydra.run.dir={blocker / 'run'}")
    assert proc.returncode == 2
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith(f"error: Cannot write the run folder {blocker / 'run'}: {blocker} is a file")
    assert "hydra.run.dir=<folder>" in message and "Traceback" not in proc.stderr
    assert blocker.read_text() == ""
