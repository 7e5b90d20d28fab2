"""DDP through Hydra: `trainer=ddp_cpu` trains XOR like one process does, into one run folder, recorded once."""

import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import lightning as L
import pytest
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode

from backprop_lab.errors import ConfigError
from backprop_lab.runs.distributed import check_sweep_launch
from backprop_lab.runs.name import tensorboard_dir

from helpers import QUIET, TRAIN_SCRIPT, compose_train, read_metrics

EPOCHS = "trainer.max_epochs=30"  # enough for SGD to solve XOR; the processes' start-up dominates anyway


def final_weights(run_dir) -> dict[str, torch.Tensor]:
    return torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]


def events_writers(run_dir) -> set[str]:
    """The process ids in the event files' names (`events.out.tfevents.<time>.<host>.<pid>.<n>`)."""
    return {path.name.split(".")[-2] for path in tensorboard_dir(run_dir).glob("events.out.tfevents.*")}


def fake_hydra(monkeypatch: pytest.MonkeyPatch, mode: RunMode) -> None:
    monkeypatch.setattr(HydraConfig, "initialized", staticmethod(lambda: True))
    monkeypatch.setattr(HydraConfig, "get", staticmethod(lambda: SimpleNamespace(mode=mode)))


def test_ddp_that_reruns_the_command_line_is_refused_inside_a_sweep(monkeypatch):
    ddp = L.Trainer(accelerator="cpu", devices=2, strategy="ddp", logger=False, enable_checkpointing=False)
    one = L.Trainer(accelerator="cpu", devices=1, strategy="ddp", logger=False, enable_checkpointing=False)
    fake_hydra(monkeypatch, RunMode.RUN)
    check_sweep_launch(ddp)
    fake_hydra(monkeypatch, RunMode.MULTIRUN)
    check_sweep_launch(one)
    with pytest.raises(ConfigError, match=r"trainer.strategy: DDPStrategy with 2 processes cannot run inside a sweep"):
        check_sweep_launch(ddp)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_ddp_cpu_on_two_nodes_started_by_torchrun_trains_like_one_process_into_one_run_folder(tmp_path):
    """Two `torchrun --nnodes=2` launches on localhost, one process each: Lightning's sampler shards the rows.

    `trainer=ddp_cpu` as docs/distributed.md starts it on two machines; one DDP test, as each process pays the
    imports (Lightning's own launch of a second process on one machine, `trainer=ddp_cpu` alone, is the same
    strategy and sampler, started by Lightning instead of torchrun).
    """
    from backprop_lab.train import train

    single_dir, ddp_dir = tmp_path / "single", tmp_path / "two_nodes"
    train(compose_train(*QUIET, EPOCHS, output_dir=single_dir))  # the reference run, in this process
    torchrun = Path(sys.executable).with_name("torchrun")
    rendezvous = ["--nnodes=2", "--nproc_per_node=1", "--master_addr=127.0.0.1", f"--master_port={free_port()}"]
    run = [TRAIN_SCRIPT, *QUIET, EPOCHS, "trainer=ddp_cpu", "trainer.devices=1", "trainer.num_nodes=2"]
    nodes = [
        subprocess.Popen(
            [torchrun, *rendezvous, f"--node_rank={rank}", *map(str, run), f"hydra.run.dir={ddp_dir}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for rank in range(2)
    ]
    outputs = [node.communicate(timeout=240)[0] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], outputs
    assert "distributed_backend=gloo" in outputs[0] and "All distributed processes registered" in outputs[0]

    # One folder for the run: the second process wrote into the first one's, and only its own console log; no
    # `.hydra/` of its own, which the first would take for an earlier run's record when the second comes first.
    assert {p.name for p in ddp_dir.iterdir()} == {
        ".hydra",
        "checkpoints",
        "config_tree.log",
        "landscape",
        "metrics.json",
        "tensorboard",
        "train.log",
        "train_ddp_process_1.log",
    }
    assert len(events_writers(ddp_dir)) == 1
    assert "".join(outputs).count("Run success") == 1  # rank 1 neither writes nor prints the record

    # Full batch on 2 processes is still one step a epoch over all four rows: the same run, to float rounding.
    single_record, ddp_record = read_metrics(single_dir), read_metrics(ddp_dir)
    assert ddp_record["status"] == "success"
    assert (ddp_record["epochs"], ddp_record["global_step"]) == (single_record["epochs"], single_record["global_step"])
    expected, got = single_record["metrics"], ddp_record["metrics"]
    assert got["test/acc"] == expected["test/acc"] == 1.0 and got.keys() == expected.keys()
    # Epoch metrics are global: one process alone holds two rows, whose loss is not the four rows' loss.
    for name in expected:
        assert got[name] == pytest.approx(expected[name], rel=1e-4), name
    for name, weight in final_weights(single_dir).items():
        torch.testing.assert_close(final_weights(ddp_dir)[name], weight, rtol=0, atol=1e-5)


def test_an_extra_process_started_by_torchrun_writes_no_hydra_record_and_logs_to_its_own_file(tmp_path, monkeypatch):
    """A second process that reaches the folder first must not leave a `.hydra/` the first one would archive."""
    from omegaconf import OmegaConf

    from backprop_lab.runs.folder_check import CheckRunFolder

    config = OmegaConf.create(
        {"hydra": {"run": {"dir": str(tmp_path)}, "output_subdir": ".hydra", "job": {"name": "train"}}}
    )
    monkeypatch.setenv("RANK", "1")
    CheckRunFolder().on_run_start(config)
    assert config.hydra.output_subdir is None and config.hydra.job.name == "train_ddp_process_1"
    assert not (tmp_path / ".run.lock").exists()  # the first process holds the folder's lock

    monkeypatch.setenv("RANK", "0")
    first = OmegaConf.create(
        {"hydra": {"run": {"dir": str(tmp_path)}, "output_subdir": ".hydra", "job": {"name": "train"}}}
    )
    CheckRunFolder().on_run_start(first)
    assert first.hydra.output_subdir == ".hydra" and first.hydra.job.name == "train"
