"""Run conveniences through the train task: the config tree, tags, early stopping, Rich's progress bar."""

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from backprop_lab.analysis.reports import read_sweep
from backprop_lab.errors import ConfigError, NoTaggedRuns
from backprop_lab.runs.name import tensorboard_dir
from backprop_lab.train import build, train

from helpers import COMPARE_SCRIPT, QUIET, TRAIN_SCRIPT, compose_train, read_metrics, run_in_process

NO_TELEMETRY = ["~callbacks.update_telemetry", "~callbacks.histograms", "~callbacks.decision_boundary"]


def test_config_tree_is_printed_and_saved_and_can_be_turned_off(tmp_path, capsys):
    # train=false test=false: everything is built, nothing is fitted; the tree comes first either way.
    train(compose_train(*QUIET, "train=false", "test=false", "optimizer=adam", output_dir=tmp_path / "on"))
    tree = (tmp_path / "on" / "config_tree.log").read_text()
    assert tree.startswith("CONFIG")
    branches = [line.split()[-1] for line in tree.splitlines() if line[:4] in ("├── ", "└── ")]
    # scheduler=none and lr_finder=none are empty groups: left out, as are top-level nulls such as ckpt_path.
    assert branches == ["data", "model", "optimizer", "callbacks", "logger", "trainer", "paths", "run"]
    assert "torch.optim.Adam" in tree and "hidden: [8]" in tree and "ckpt_path" not in tree
    assert "torch.optim.Adam" in capsys.readouterr().out

    cfg = compose_train(*QUIET, "train=false", "test=false", "extras.print_config=false", output_dir=tmp_path / "off")
    train(cfg)
    assert not (tmp_path / "off" / "config_tree.log").exists()


@pytest.mark.parametrize("tags", ["[ok,'two words']", "baseline", "[ok,1.5]", "['x,y']", "[" + "a" * 33 + "]"])
def test_bad_tags_are_refused_by_name(tmp_path, tags):
    with pytest.raises(ConfigError, match=r"tags=.* is not allowed: it must be a list of short words"):
        train(compose_train(*QUIET, f"tags={tags}", "train=false", "test=false", output_dir=tmp_path))
    assert read_metrics(tmp_path)["status"] == "failed"


def test_tags_reach_metrics_json_and_hparams(tmp_path):
    cfg = compose_train(*QUIET, *NO_TELEMETRY, "tags=[baseline,2024]", "trainer.max_epochs=1", output_dir=tmp_path)
    train(cfg)
    assert read_metrics(tmp_path)["tags"] == ["baseline", "2024"]  # a whole number is taken as its text
    events = EventAccumulator(str(tensorboard_dir(tmp_path)))
    events.Reload()
    start = events.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    hparams = plugin_data_pb2.HParamsPluginData.FromString(start).session_start_info.hparams
    assert hparams["tags"].string_value == "baseline,2024"


@pytest.mark.slow
def test_compare_runs_keeps_the_jobs_with_a_tag(tmp_path):
    sweep = tmp_path / "sweep"
    proc = run_in_process(
        TRAIN_SCRIPT, "-m", "tags=[baseline,xor],[trial]", "trainer.max_epochs=2", f"hydra.sweep.dir={sweep}", *QUIET
    )
    assert proc.returncode == 0, proc.stderr
    jobs = ("tags=[baseline,xor]", "tags=[trial]")  # each job's folder: what the sweep varies
    assert [read_metrics(sweep / job)["tags"] for job in jobs] == [["baseline", "xor"], ["trial"]]

    report = run_in_process(COMPARE_SCRIPT, str(sweep), "--tag", "baseline")
    assert report.returncode == 0, report.stderr
    table = (sweep / "comparison.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    assert "tags" in rows[0] and len(rows) == 2 and rows[1].startswith("| 0 |") and "baseline,xor" in rows[1]

    with pytest.raises(NoTaggedRuns, match="has the tag.s. nope; the tags its 2 jobs carry: baseline, trial, xor"):
        read_sweep(sweep, ["nope"])  # compare_runs.py prints this and exits 2


def test_early_stopping_ends_the_fit_and_metrics_json_says_why(tmp_path):
    cfg = compose_train(
        *QUIET,
        *NO_TELEMETRY,
        "callbacks=[default,early_stopping]",
        "callbacks.early_stopping.patience=2",
        "callbacks.early_stopping.min_delta=10",  # no epoch can improve val/loss by 10: only patience counts
        "trainer.max_epochs=50",
        output_dir=tmp_path,
    )
    train(cfg)
    metrics = read_metrics(tmp_path)
    assert metrics["status"] == "success" and metrics["epochs"] == 3  # epoch 0 sets the best; 1 and 2 do not beat it
    stop = metrics["early_stopping"]
    assert stop["stopped_epoch"] == 2 and stop["reason"] == "patience_exhausted"
    assert "val/loss did not improve in the last 2 records" in stop["message"]


def test_without_early_stopping_metrics_json_has_none(tmp_path):
    train(compose_train(*QUIET, *NO_TELEMETRY, "trainer.max_epochs=2", output_dir=tmp_path))
    assert read_metrics(tmp_path)["early_stopping"] is None


def test_rich_progress_bar_and_model_summary_option(tmp_path):
    pytest.importorskip("rich", reason="callbacks/progress_bar=rich needs the rich extra: pip install -e '.[rich]'")
    from lightning.pytorch.callbacks import ModelSummary, RichModelSummary, RichProgressBar

    cfg = compose_train(*NO_TELEMETRY, "callbacks/progress_bar=rich", "trainer.max_epochs=2", output_dir=tmp_path)
    _, _, trainer = build(cfg)
    assert isinstance(trainer.progress_bar_callback, RichProgressBar)
    assert [type(c) for c in trainer.callbacks if isinstance(c, ModelSummary)] == [RichModelSummary]
    train(cfg)
    assert read_metrics(tmp_path)["status"] == "success"


@pytest.mark.parametrize("bar", ["tqdm", "rich"])
def test_progress_bars_leave_out_the_version_that_shows_as_v_num(tmp_path, bar):
    # The TensorBoard version is empty (the folder holds the run's name): Lightning would show a bare `v_num=`.
    if bar == "rich":
        pytest.importorskip("rich", reason="callbacks/progress_bar=rich needs the rich extra: pip install -e '.[rich]'")
    cfg = compose_train(*NO_TELEMETRY, f"callbacks/progress_bar={bar}", "trainer.max_epochs=1", output_dir=tmp_path)
    _, model, trainer = build(cfg)
    model.trainer = trainer
    metrics = trainer.progress_bar_callback.get_metrics(trainer, model)
    assert "v_num" not in metrics and trainer.loggers[0].version == ""
