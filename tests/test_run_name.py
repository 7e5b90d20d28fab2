"""Run names: what was chosen, safe as a folder name; in a sweep, only what the sweep varies."""

from backprop_lab.runs.name import chosen_keys, run_name, swept_keys, trial_name


def test_run_name_says_what_was_chosen_and_is_a_safe_folder_name():
    assert run_name([]) == "defaults"
    assert run_name(["optimizer=adam", "optimizer.lr=0.05", "seed=1"]) == "optimizer=adam,optimizer.lr=0.05,seed=1"
    assert run_name(["data=csv", "data.path=/home/me/points.csv"]) == "data=csv,data.path=_home_me_points.csv"
    # Where the outputs go or which run is resumed is not what the run trains.
    assert run_name(["hydra.run.dir=x", "resume=logs/a", "~callbacks.progress_bar", "seed=2"]) == "seed=2"
    long = run_name([f"model.net.hidden=[{','.join(['64'] * 60)}]"])
    assert len(long) <= 120 and long != run_name([f"model.net.hidden=[{','.join(['64'] * 61)}]"])


def test_sweep_keys_come_from_the_command_line_and_the_sweeper():
    assert swept_keys(["optimizer=sgd,adam", "seed=1", "optimizer.lr=range(1,3)"], []) == {"optimizer", "optimizer.lr"}
    assert swept_keys(["experiment=optimizer_grid"], ["optimizer", "optimizer.lr"]) == {"optimizer", "optimizer.lr"}
    assert chosen_keys(["+trainer.limit_val_batches=0", "optimizer=adam", "paths.log_dir=x"]) == [
        "trainer.limit_val_batches",
        "optimizer",
    ]


def test_a_sweep_reads_its_multirun_yaml_once_per_version_of_the_file(tmp_path, monkeypatch):
    """`${run_name:}` is resolved several times per job; the sweep's file is parsed once, and again when rewritten."""
    from hydra.types import RunMode
    from omegaconf import OmegaConf

    from backprop_lab.runs import name

    loads, load = [], OmegaConf.load
    monkeypatch.setattr(OmegaConf, "load", lambda path: loads.append(path) or load(path))
    multirun = tmp_path / "multirun.yaml"
    hydra_cfg = OmegaConf.create({"mode": RunMode.MULTIRUN, "sweeper": {}, "sweep": {"dir": str(tmp_path)}})
    OmegaConf.save({"hydra": {"overrides": {"task": ["optimizer=sgd,adam", "seed=1"]}}}, multirun)
    assert [name._sweep(hydra_cfg) for _ in range(6)] == [{"optimizer"}] * 6
    assert len(loads) == 1
    OmegaConf.save({"hydra": {"overrides": {"task": ["optimizer=sgd", "seed=1,2,3"]}}}, multirun)
    assert name._sweep(hydra_cfg) == {"seed"} and len(loads) == 2


def test_a_sweeps_hparams_rows_sort_in_its_order_and_read_whole():
    names = [trial_name("2026-12-06_21-30-00", job, f"optimizer.lr={lr}") for job, lr in enumerate([0.1] * 12)]
    assert sorted(names) == names  # job 2 before job 10, unlike "0, 1, 10, 11, ..., 2"
    assert names[10] == "2026-12-06_21-30-00 #010 optimizer.lr=0.1"
