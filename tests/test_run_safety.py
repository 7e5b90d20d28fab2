"""Opening someone else's run folder runs no code from it: the checkpoint's record is data, its stored paths unfollowed.

Each attack here must be refused (exit 2, one paragraph) or ignored, and no
file outside the run folders the test itself asked for may be created,
changed or removed.
"""

import hashlib
from pathlib import Path

import pytest
import torch
import yaml

from backprop_lab.errors import CheckpointError
from backprop_lab.evaluate import restore_for_predict, restore_model
from backprop_lab.runs.rebuild import scale_inputs
from backprop_lab.runs.record import RECORD_KEY

from helpers import (
    EVAL_SCRIPT,
    PREDICT_SCRIPT,
    TRAIN_SCRIPT,
    TRAINING_ONLY,
    fake_run,
    read_metrics,
    run_in_process,
)


def tamper(ckpt: Path, change) -> None:
    checkpoint = torch.load(ckpt, weights_only=True)
    change(checkpoint[RECORD_KEY])
    torch.save(checkpoint, ckpt)


def files_outside(root: Path, *inside: Path) -> dict[str, str]:
    """Every file under `root` but not under `inside`, with a hash of its bytes: what an attack must leave alone."""
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and not any(p.is_relative_to(folder) for folder in inside)
    }


def eval_and_predict(ckpt: Path, eval_dir: Path) -> list:
    return [
        run_in_process(
            EVAL_SCRIPT, f"ckpt_path={ckpt}", f"hydra.run.dir={eval_dir}", "trainer.enable_progress_bar=false"
        ),
        run_in_process(PREDICT_SCRIPT, f"ckpt_path={ckpt}", "inputs=[[0,1]]"),
    ]


COPY = "${oc.create:{_target_: shutil.copyfile, _args_: ['{src}', '{dst}']}}"


@pytest.mark.parametrize(
    ("where", "change"),
    [
        ("settings.data.junk", lambda r, v: r["settings"].__setitem__("data.junk", v)),
        ("settings.data.batch_size", lambda r, v: r["settings"].__setitem__("data.batch_size", v)),
        ("settings.model.net.hidden", lambda r, v: r["settings"].__setitem__("model.net.hidden", [8, v])),
        ("class_names", lambda r, v: r.__setitem__("class_names", ["0", v])),
    ],
)
def test_an_interpolation_anywhere_in_the_record_is_refused_and_runs_nothing(tmp_path, where, change):
    ckpt = fake_run(tmp_path / "run")
    src, dst = tmp_path / "src.txt", tmp_path / "copied.txt"
    src.write_text("secret")
    tamper(ckpt, lambda record: change(record, COPY.replace("{src}", str(src)).replace("{dst}", str(dst))))
    before = files_outside(tmp_path, tmp_path / "run", tmp_path / "eval")
    for proc in eval_and_predict(ckpt, tmp_path / "eval"):
        assert proc.returncode == 2, proc.stderr
        assert f"Refusing the run record in the checkpoint {ckpt}: {where}=" in proc.stderr
        assert "text without '${'" in proc.stderr and "Traceback" not in proc.stderr
    assert not dst.exists() and files_outside(tmp_path, tmp_path / "run", tmp_path / "eval") == before


def test_a_changed_target_in_the_run_folders_config_is_never_read(tmp_path):
    ckpt = fake_run(tmp_path / "run")
    src, dst = tmp_path / "src.txt", tmp_path / "copied.txt"
    src.write_text("secret")
    config = ckpt.parent.parent / ".hydra" / "config.yaml"
    tree = yaml.safe_load(config.read_text())
    tree["data"] = {"_target_": "shutil.copyfile", "_args_": [str(src), str(dst)]}
    tree["model"]["net"]["_target_"] = "builtins.exec"
    config.write_text(yaml.safe_dump(tree))
    for proc in eval_and_predict(ckpt, tmp_path / "eval"):
        assert proc.returncode == 0, proc.stderr
    assert not dst.exists() and read_metrics(tmp_path / "eval")["status"] == "success"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["settings"].__setitem__("data._target_", "shutil.copyfile"), "_lab.data.xor.XORDataModule' of"),
        (lambda r: r["settings"].__setitem__("data._args_", ["a", "b"]), "data._args_ is not a key of configs/data"),
        (lambda r: r["settings"].__setitem__("data.sampler.n", 1), "data.sampler.n is not a key of configs/data"),
        (lambda r: r["settings"].__setitem__("model.net.extra", 1), "settings that configs/model/mlp.yaml cannot take"),
        (
            lambda r: r["settings"].__setitem__("data.passes_per_epoch", "4"),
            "data.passes_per_epoch='4' is not a number",
        ),
        (lambda r: r["options"].__setitem__("model", "../../elsewhere"), "options.model='../../elsewhere'"),
        (lambda r: r.__setitem__("loggers", {"csv": "/tmp"}), "its keys=['loggers'] is not allowed"),
        (lambda r: r.__setitem__("input_shape", ["2"]), "input_shape=['2'] is not allowed"),
        (lambda r: r.__setitem__("version", 2), "version=2 is not allowed"),
        (lambda r: r.__setitem__("task", "exec"), "task='exec' is not allowed"),
        (lambda r: r["preprocessing"].update(mean=[0.0, 0.0], std=[1.0, 0.0]), "zero scale would divide by zero"),
        (lambda r: r["settings"].__setitem__("seed", 1.5), "settings.seed=1.5 is not allowed"),
    ],
    ids=[
        "target",
        "args",
        "section",
        "unknown-key",
        "wrong-type",
        "option-path",
        "top-key",
        "top-type",
        "version",
        "task",
        "zero-scale",
        "seed",
    ],
)
def test_a_tampered_record_is_refused_with_the_field_named(tmp_path, change, message):
    ckpt = fake_run(tmp_path / "run")
    tamper(ckpt, change)
    for restore in (restore_model, restore_for_predict):
        with pytest.raises(CheckpointError, match="refuse|Refusing|cannot take") as refused:
            restore(ckpt)
        assert message in str(refused.value) and "\n" not in str(refused.value)


def test_a_checkpoint_without_a_record_is_refused(tmp_path):
    ckpt = fake_run(tmp_path / "run")
    checkpoint = torch.load(ckpt, weights_only=True)
    del checkpoint[RECORD_KEY]
    torch.save(checkpoint, ckpt)
    with pytest.raises(CheckpointError, match="holds no run record"):
        restore_for_predict(ckpt)


def test_a_record_with_values_the_config_checks_refuse_is_refused_by_the_same_checks(tmp_path):
    ckpt = fake_run(tmp_path / "run")
    tamper(ckpt, lambda r: r["settings"].update({"model.net.activation": "swishy", "data.batch_size": 0}))
    with pytest.raises(CheckpointError, match=r"records settings this project refuses: .*swishy.*data.batch_size=0"):
        restore_model(ckpt)


def test_resume_never_deletes_a_file_a_checkpoint_names_outside_the_run(tmp_path):
    run_dir, victim = tmp_path / "run", tmp_path / "victim.txt"
    victim.write_text("keep me")
    first = run_in_process(TRAIN_SCRIPT, *TRAINING_ONLY, "trainer.max_epochs=1", f"hydra.run.dir={run_dir}")
    assert first.returncode == 0, first.stderr
    last = run_dir / "checkpoints" / "last.ckpt"
    checkpoint = torch.load(last, weights_only=True)
    outside = str(run_dir / "checkpoints" / ".." / ".." / "victim.txt")
    for state in checkpoint["callbacks"].values():
        if "best_model_path" in state:
            state.update(best_model_path=outside, kth_best_model_path=outside, last_model_path=outside)
            state["best_k_models"] = {outside: torch.tensor(-1e9)}
            state["best_model_score"] = torch.tensor(1e9)  # any score beats it: the "best" would be replaced
    torch.save(checkpoint, last)
    before = files_outside(tmp_path, run_dir)
    for target in (tmp_path / "resumed", run_dir):  # into a new folder, then into the same one
        resumed = run_in_process(
            TRAIN_SCRIPT, *TRAINING_ONLY, "trainer.max_epochs=3", f"hydra.run.dir={target}", f"resume={run_dir}"
        )
        assert resumed.returncode == 0, resumed.stderr
        assert read_metrics(target)["status"] == "success"
        assert Path(read_metrics(target)["best_checkpoint"]).parent == target / "checkpoints"
    assert victim.read_text() == "keep me"
    assert files_outside(tmp_path, run_dir, tmp_path / "resumed") == before


def test_checkpoint_record_predicts_without_the_run_folders_config(tmp_path):
    ckpt = fake_run(tmp_path / "run")
    moved = tmp_path / "elsewhere.ckpt"
    ckpt.rename(moved)  # no .hydra/config.yaml next to it any more
    model, shape, _, _ = restore_for_predict(moved)
    assert shape == (2,) and model(torch.zeros(3, 2)).shape == (3,)


def test_csv_scaling_comes_from_the_checkpoint_not_from_todays_file(tmp_path, caplog):
    data = tmp_path / "train.csv"
    data.write_text("a,b,label\n" + "".join(f"{i % 5},{i % 7},{i % 2}\n" for i in range(40)))
    ckpt = fake_run(tmp_path / "run", "data=csv", f"data.path={data}", "data.target=label")
    before = predict_probability(ckpt)
    with data.open("a") as f:  # appended rows move the file's mean and scale far away
        f.write("".join(f"{50 + i},{90 + i},{i % 2}\n" for i in range(40)))
    assert predict_probability(ckpt) == before
    restore_model(ckpt)
    assert "has changed since the model was trained" in caplog.text
    data.rename(tmp_path / "moved.csv")
    assert predict_probability(ckpt) == before  # predicting needs no data file at all


def predict_probability(ckpt: Path) -> float:
    model, _, preprocessing, _ = restore_for_predict(ckpt)
    assert preprocessing["columns"] == ["a", "b"]
    with torch.no_grad():
        return float(torch.sigmoid(model(scale_inputs(torch.tensor([[1.0, 2.0]]), preprocessing))))
