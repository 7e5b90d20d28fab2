"""Bad checkpoints and run folders: each gets one clear paragraph, a non-zero exit, nothing that looks like success."""

import functools

import pytest
import torch

from backprop_lab.errors import CheckpointError
from backprop_lab.evaluate import restore_model
from backprop_lab.runs.checkpoints import find_last_checkpoint, load_checkpoint
from backprop_lab.runs.record import RECORD_KEY
from backprop_lab.train import train

from helpers import EVAL_SCRIPT, compose_train, fake_run, read_metrics, run_in_process


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
    checkpoint = torch.load(ckpt, weights_only=True)
    checkpoint[RECORD_KEY]["settings"]["model.net.hidden"] = [8]  # a record that does not match its weights
    torch.save(checkpoint, ckpt)
    expected = r"different model: net.hidden1.weight: checkpoint \(16, 2\), model \(8, 2\)"
    with pytest.raises(CheckpointError, match=expected):
        restore_model(ckpt)


def test_resume_from_a_folder_without_checkpoints_says_so(tmp_path):
    with pytest.raises(CheckpointError, match="No last.ckpt in"):
        find_last_checkpoint(tmp_path)


def test_eval_of_a_checkpoint_outside_its_run_folder_works_from_its_record(tmp_path):
    stray = tmp_path / "stray.ckpt"
    fake_run(tmp_path / "run").replace(stray)
    proc = run_in_process(EVAL_SCRIPT, f"ckpt_path={stray}", f"hydra.run.dir={tmp_path / 'eval'}", "logger=none")
    assert proc.returncode == 0, proc.stderr
    assert read_metrics(tmp_path / "eval")["status"] == "success"


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


@pytest.mark.parametrize(("key", "value"), [("global_step", "many"), ("epoch", "3")])
def test_text_where_a_resume_counter_is_stored_is_refused_before_training(tmp_path, key, value):
    ckpt = fake_run(tmp_path / "run")
    checkpoint = torch.load(ckpt, weights_only=True)
    checkpoint[key] = value
    torch.save(checkpoint, ckpt)
    with pytest.raises(CheckpointError, match=f"stores {key}={value!r}, which is not a count"):
        train(compose_train(f"ckpt_path={ckpt}", "~callbacks.progress_bar", output_dir=tmp_path / "again"))
    assert read_metrics(tmp_path / "again")["status"] == "failed"
