"""Run names: what was chosen, safe as a folder name; in a sweep, only what the sweep varies."""

from backprop_lab.runs.name import chosen_keys, run_name, swept_keys, trial_name

from helpers import TRAIN_SCRIPT, run_in_process


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


def test_values_that_would_name_two_jobs_alike_are_found():
    from backprop_lab.runs.name import same_named_values

    assert same_named_values(["optimizer=sgd,adam", "seed=1,2", "optimizer.lr=range(1,4)"]) is None
    assert same_named_values(["optimizer=sgd", "seed=1,2,1"]) == ("seed=1", "seed=1", "seed=1")
    assert same_named_values(["data.path=a/b.csv,a_b.csv"]) == (
        "data.path=a/b.csv",
        "data.path=a_b.csv",
        "data.path=a_b.csv",
    )
    assert same_named_values(["optimizer=sgd,adam"]) is None  # every run of the sweep its own folder


def test_a_sweep_that_would_write_two_jobs_into_one_folder_is_refused_before_it_runs(tmp_path):
    proc = run_in_process(TRAIN_SCRIPT, "-m", "optimizer=sgd,adam", "seed=3,3", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(
        f"error: The sweep lists seed=3 twice, so two jobs would write one folder, {tmp_path}"
    )
    assert not (tmp_path / "sweep").exists()


def test_job_folders_read_back_in_the_order_the_sweep_ran_them(tmp_path):
    """Folders are named by what varies, so the order comes from each job's `hydra.job.num`, numbers compared."""
    from backprop_lab.runs.job_folders import job_label, job_number, numbered_job_dirs

    for number, name in [(10, "optimizer.lr=0.001"), (2, "optimizer.lr=1"), (0, "optimizer.lr=0.5")]:
        (tmp_path / name / ".hydra").mkdir(parents=True)
        (tmp_path / name / ".hydra" / "config.yaml").write_text("seed: 0\n")
        (tmp_path / name / ".hydra" / "hydra.yaml").write_text(f"hydra:\n  job:\n    num: {number}\n")
    (tmp_path / "copied" / ".hydra").mkdir(parents=True)  # no hydra.yaml: last, by name
    (tmp_path / "copied" / ".hydra" / "config.yaml").write_text("seed: 0\n")
    (tmp_path / "optimizer.lr=1" / ".hydra" / "hydra.yaml").write_text("hydra:\n  job:\n    num: ${oc.env:HOME}\n")
    jobs = numbered_job_dirs(tmp_path)
    assert [p.name for p, _ in jobs] == [
        "optimizer.lr=0.5",
        "optimizer.lr=0.001",
        "copied",
        "optimizer.lr=1",
    ]
    assert job_number(tmp_path / "optimizer.lr=1") is None  # an interpolation is read as text, never resolved
    assert [job_label(p.name, number) for p, number in jobs] == ["0", "10", "copied", "optimizer.lr=1"]


def test_an_optuna_trials_folder_starts_with_its_number_so_a_repeated_trial_has_its_own():
    from backprop_lab.runs.name import trial_folder

    assert (
        trial_folder(7, ["optimizer.lr=0.0123", "model.net.hidden=[8]"])
        == "trial=007,optimizer.lr=0.0123,model.net.hidden=[8]"
    )
    assert trial_folder(7, ["optimizer.lr=0.1"]) != trial_folder(8, ["optimizer.lr=0.1"])
