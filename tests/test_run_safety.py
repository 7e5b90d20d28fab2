"""Opening someone else's run folder runs no code from it; eval and predict rebuild from the checkpoint's own record."""

from pathlib import Path

import pytest
import torch
import yaml
from omegaconf import OmegaConf

from backprop_lab.errors import CheckpointError, UnsafeTargetError
from backprop_lab.evaluate import restore_for_predict, restore_model
from backprop_lab.runs.rebuild import RECORD_KEY, scale_inputs
from backprop_lab.train import build

from helpers import EVAL_SCRIPT, PREDICT_SCRIPT, compose_train, run_in_process


def run_folder(run_dir: Path, with_record: bool, *overrides: str) -> Path:
    """A run folder as training leaves it (config + weights_only-safe checkpoint), without training."""
    cfg = compose_train(*overrides, output_dir=run_dir)
    datamodule, model, trainer = build(cfg)
    (run_dir / ".hydra").mkdir(parents=True)
    OmegaConf.save(cfg, run_dir / ".hydra" / "config.yaml")
    (run_dir / "checkpoints").mkdir()
    checkpoint = {"state_dict": model.state_dict(), "epoch": 0, "global_step": 0}
    if with_record:
        from backprop_lab.runs.rebuild import RecordInCheckpoint

        recorder = next(c for c in trainer.callbacks if isinstance(c, RecordInCheckpoint))
        trainer.datamodule = datamodule
        recorder.on_save_checkpoint(trainer, model, checkpoint)
    path = run_dir / "checkpoints" / "last.ckpt"
    torch.save(checkpoint, path)
    return path


def poison_config(ckpt: Path, key: str, node: object) -> None:
    config = ckpt.parent.parent / ".hydra" / "config.yaml"
    cfg = yaml.safe_load(config.read_text())
    parent = cfg
    *path, last = key.split(".")
    for name in path:
        parent = parent[name]
    parent[last] = node
    config.write_text(yaml.safe_dump(cfg))


def test_malicious_run_folder_is_refused_by_eval_and_predict_and_writes_nothing(tmp_path):
    ckpt = run_folder(tmp_path / "shared_run", with_record=False)  # an older checkpoint: the config is read
    source, victim = tmp_path / "secret.txt", tmp_path / "written_by_config.txt"
    source.write_text("x")
    poison_config(ckpt, "data", {"_target_": "shutil.copyfile", "_args_": [str(source), str(victim)]})
    for script, extra in ((EVAL_SCRIPT, [f"hydra.run.dir={tmp_path / 'eval'}"]), (PREDICT_SCRIPT, ["inputs=[[0,1]]"])):
        proc = run_in_process(script, f"ckpt_path={ckpt}", *extra)
        assert proc.returncode == 2, proc.stderr
        assert "data._target_='shutil.copyfile'" in proc.stderr and "Traceback" not in proc.stderr
        assert not victim.exists()


@pytest.mark.parametrize(
    ("key", "node"),
    [
        ("data.seed", {"_target_": "shutil.copyfile", "_args_": ["{src}", "{dst}"]}),
        ("data", {"_target_": "builtins.exec", "_args_": ["open('{dst}', 'w')"]}),
        ("data", {"_target_": "backprop_lab.data.synthetic.torch.save", "_args_": [[1], "{dst}"]}),
        ("model.net", {"_target_": "torch.optim.lr_scheduler.os.system", "_args_": ["touch {dst}"]}),
        ("data", {"_target_": "backprop_lab.runs.summary.write_json_atomic", "_args_": ["{dst}", {}]}),
        (
            "optimizer",
            {"_target_": "torch.optim.SGD", "_args_": [{"_target_": "shutil.copyfile", "_args_": ["{src}", "{dst}"]}]},
        ),
        (
            "data",
            {
                "_target_": "backprop_lab.data.xor.XORDataModule",
                "seed": {"_target_": "posix.system", "_partial_": True},
            },
        ),
        ("data", {"_target_": ["not", "a", "string"]}),
    ],
    ids=[
        "nested-kwarg",
        "builtins",
        "module-alias",
        "os-via-allowed-module",
        "project-function",
        "in-_args_",
        "partial",
        "non-string",
    ],
)
def test_every_target_read_from_a_run_folder_passes_the_allowlist(tmp_path, key, node):
    ckpt = run_folder(tmp_path / "run", with_record=False)
    src, dst = tmp_path / "src.txt", tmp_path / "dst.txt"
    src.write_text("x")
    text = yaml.safe_dump(node).replace("{src}", str(src)).replace("{dst}", str(dst))
    poison_config(ckpt, key, yaml.safe_load(text))
    with pytest.raises(UnsafeTargetError, match=key.split(".")[0]):
        restore_model(ckpt)
    assert not dst.exists()


def test_a_tampered_record_in_the_checkpoint_is_refused_too(tmp_path):
    ckpt = run_folder(tmp_path / "run", with_record=True)
    checkpoint = torch.load(ckpt, weights_only=True)
    victim = tmp_path / "dst.txt"
    checkpoint[RECORD_KEY]["settings"]["data"] = {"_target_": "shutil.copyfile", "_args_": [str(ckpt), str(victim)]}
    torch.save(checkpoint, ckpt)
    with pytest.raises(UnsafeTargetError, match=r"data\._target_='shutil\.copyfile'"):
        restore_for_predict(ckpt)
    assert not victim.exists()


def test_a_record_with_values_the_config_checks_refuse_is_refused_by_the_same_checks(tmp_path):
    ckpt = run_folder(tmp_path / "run", with_record=True)
    checkpoint = torch.load(ckpt, weights_only=True)
    checkpoint[RECORD_KEY]["settings"]["model"]["net"]["activation"] = "swishy"
    checkpoint[RECORD_KEY]["settings"]["data"]["batch_size"] = 0
    torch.save(checkpoint, ckpt)
    with pytest.raises(CheckpointError, match=r"records settings this project refuses: .*swishy.*data.batch_size=0"):
        restore_model(ckpt)


def test_checkpoint_record_predicts_without_the_run_folders_config(tmp_path):
    ckpt = run_folder(tmp_path / "run", with_record=True)
    moved = tmp_path / "elsewhere.ckpt"
    ckpt.rename(moved)  # no .hydra/config.yaml next to it any more
    model, shape, _, _ = restore_for_predict(moved)
    assert shape == (2,) and model(torch.zeros(3, 2)).shape == (3,)


def test_csv_scaling_comes_from_the_checkpoint_not_from_todays_file(tmp_path, caplog):
    data = tmp_path / "train.csv"
    data.write_text("a,b,label\n" + "".join(f"{i % 5},{i % 7},{i % 2}\n" for i in range(40)))
    ckpt = run_folder(tmp_path / "run", True, "data=csv", f"data.path={data}", "data.target=label")
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
