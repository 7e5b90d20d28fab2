"""Every option of every config group composes, and the swappable parts instantiate."""

import functools
import shutil
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from hydra.utils import instantiate
from lightning.pytorch.callbacks import LearningRateMonitor, ProgressBar
from lightning.pytorch.loggers import TensorBoardLogger
from omegaconf import OmegaConf

from backprop_lab.callbacks.decision_boundary import DecisionBoundary
from backprop_lab.callbacks.histograms import ParameterHistograms
from backprop_lab.callbacks.loss_landscape import LossLandscape
from backprop_lab.callbacks.update_telemetry import UpdateTelemetry
from backprop_lab.config.options import flatten, option_of, section_problems
from backprop_lab.errors import ConfigError, IncompatibleData, MissingPackage
from backprop_lab.train import build, build_model, instantiate_each

from helpers import CONFIGS, compose_train


def uses_mlflow(option: Path) -> list[pytest.MarkDecorator]:
    """Builds an MLflow store (logger=mlflow, logger=many): tests/conftest.py runs these on one worker."""
    return [pytest.mark.mlflow] if "mlflow" in option.read_text() else []


GROUPS = sorted(p.name for p in CONFIGS.iterdir() if p.is_dir() and p.name not in {"hydra", "local"})
OPTIONS = [
    pytest.param(group, path.stem, id=f"{group}={path.stem}", marks=uses_mlflow(path))
    for group in GROUPS
    for path in sorted((CONFIGS / group).glob("*.yaml"))
]
# The groups a run folder's config holds that eval and predict instantiate (tests/test_run_safety.py).
REBUILT_FROM_RECORD = ("data", "model")
# `# @package _global_` groups: they set keys all over the config, so the whole run is built.
GLOBAL_GROUPS = ("experiment", "debug")
# The debug modes that leave out what only watches training, and what that is.
LEAN_MODES = ("bare", "quiet")
WATCHERS = (UpdateTelemetry, ParameterHistograms, DecisionBoundary, LossLandscape, LearningRateMonitor, ProgressBar)
# Values an option leaves as ??? (required from the user); a new option with ??? fields needs an entry here.
# Also overrides an option needs to keep its files in the test's folder.
REQUIRED_VALUES = {
    ("data", "csv"): lambda tmp: [
        f"data.path={write_csv(tmp / 'table.csv')}",
        "data.target=label",
        "data.features=[x1,x2]",
    ],
    # The MLflow store (a SQLite file) goes under paths.log_dir: keep it out of the checkout.
    ("logger", "mlflow"): lambda tmp: [f"paths.log_dir={tmp}"],
    ("logger", "many"): lambda tmp: [f"paths.log_dir={tmp}"],
}


def write_csv(path: Path) -> Path:
    """A small numeric table: two features, a text column to leave out, a 0/1 label."""
    rows = ["x1,x2,name,label"] + [f"{i % 3},{i * 0.5},row{i},{i % 2}" for i in range(20)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_groups_are_the_documented_ones():
    documented = ["optimizer", "scheduler", "model", "data", "trainer", "logger", "callbacks", "paths"]
    for group in [*documented, "experiment", "debug"]:
        assert group in GROUPS


@pytest.mark.parametrize(("group", "option"), OPTIONS)
def test_every_option_composes_and_instantiates(group, option, tmp_path):
    required = REQUIRED_VALUES.get((group, option), lambda tmp: [])(tmp_path)
    cfg = compose_train(f"{group}={option}", *required, output_dir=tmp_path)
    node = cfg.get(group)
    if group in REBUILT_FROM_RECORD:  # eval and predict rebuild it from a checkpoint's record: every value fits
        found = option_of(group, node)
        assert found is not None
        assert section_problems(group, found, flatten(OmegaConf.to_container(node, resolve=True), group)) == []
    if group == "optimizer":
        factory = instantiate(node)
        assert isinstance(factory, functools.partial)
        assert isinstance(factory([torch.nn.Parameter(torch.zeros(1))]), torch.optim.Optimizer)
    elif group == "scheduler" and node:
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
        assert instantiate(node)(optimizer) is not None
    elif group in ("callbacks", "logger"):
        try:
            built = instantiate_each(node, group)
        except MissingPackage as err:  # an optional extra (e.g. wandb) that this environment does not have
            pytest.skip(str(err))
        assert len(built) == len(node or {})
    elif group == "trainer" and node.accelerator == "gpu" and not torch.cuda.is_available():
        pytest.skip("no CUDA device here; composition checked above")
    elif group in ("model", "data", "trainer", *GLOBAL_GROUPS):
        try:
            datamodule, model, trainer = build(cfg)  # runs the data module's setup: the input shape comes from it
        except IncompatibleData as err:  # a model for other data than the default's: the pairs test builds it
            assert group == "model", err
            pytest.skip(str(err))
        assert model.task.name == datamodule.task  # the model follows the data's declared task
        classes = datamodule.num_classes
        for split in ("train", "val", "test"):
            x, y = datamodule.splits[split]
            assert len(x) > 0 and bool(torch.isfinite(y).all()), split
            if datamodule.task != "regression":
                assert set(y.unique().tolist()) <= set(range(classes)), split
            wide = datamodule.task == "multiclass"
            assert model(x).shape == ((len(x), classes) if wide else (len(x),))
        if group == "debug" and option in LEAN_MODES:  # their point: nothing that only watches
            assert trainer.loggers == [] and not any(isinstance(c, WATCHERS) for c in trainer.callbacks)
        elif group == "debug":  # the other debug modes keep the logger the user asked for (the default: TensorBoard)
            assert [type(logger) for logger in trainer.loggers] == [TensorBoardLogger]


# Group choices with plain values set on top, deletions and additions, an experiment and a debug mode.
AS_HYDRA_DOES = [
    ["optimizer=adam", "optimizer.lr=0.003", "seed=3", "tags=[a,b]"],
    ["experiment=iris", "trainer.max_epochs=2", "model.net.hidden=[8,8]", "data.batch_size=null"],
    ["debug=quiet", "~callbacks.model_checkpoint", "+trainer.max_steps=5", "trainer.max_epochs=-1", "resume=x"],
]


@pytest.mark.parametrize("overrides", AS_HYDRA_DOES, ids=lambda o: " ".join(o))
def test_the_tests_compose_as_hydra_does(overrides):
    """helpers.compose_train composes the group choices once and sets plain values on a copy: Hydra's config."""
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        expected = compose(config_name="train", overrides=["paths.output_dir=unused", *overrides])
        with pytest.raises(ConfigCompositionException) as hydra_refuses:
            compose(config_name="train", overrides=[*overrides, "optimizer.lrr=0.1"])
    got = compose_train(*overrides)
    assert OmegaConf.to_container(got) == OmegaConf.to_container(expected)
    assert OmegaConf.is_struct(got) and OmegaConf.is_struct(expected)
    with pytest.raises(ConfigCompositionException) as refused:  # a key the config lacks: Hydra's own refusal
        compose_train(*overrides, "optimizer.lrr=0.1")
    assert str(refused.value) == str(hydra_refuses.value)


PRIMARY = [("train", []), ("train", ["hparams_search=xor_optuna"]), ("eval", []), ("predict", [])]


@pytest.mark.parametrize(("config", "overrides"), PRIMARY)
def test_no_config_sets_hydra_mode(config, overrides):
    """helpers.run_in_process skips Hydra's composition that only reads `hydra.mode`: it relies on this."""
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        assert compose(config_name=config, overrides=overrides, return_hydra_config=True).hydra.mode is None


def test_optimizer_and_lr_are_the_interface(tmp_path):
    cfg = compose_train("optimizer=rmsprop", "optimizer.lr=0.003", output_dir=tmp_path)
    optimizer = instantiate(cfg.optimizer)([torch.nn.Parameter(torch.zeros(1))])
    assert isinstance(optimizer, torch.optim.RMSprop)
    assert optimizer.param_groups[0]["lr"] == 0.003


def test_unknown_option_lists_the_available_ones():
    from hydra.errors import MissingConfigException

    with pytest.raises(MissingConfigException) as err:
        compose_train("optimizer=no_such_optimizer")
    for name in ["adam", "adamw", "rmsprop", "sgd"]:
        assert name in str(err.value)


def test_seed_article_experiment_is_the_articles_setup(tmp_path):
    cfg = compose_train("experiment=seed_article", output_dir=tmp_path)
    assert cfg.model.net._target_.endswith("nets.logistic") and cfg.data._target_.endswith("XORDataModule")
    assert cfg.optimizer._target_ == "torch.optim.SGD"
    assert (cfg.optimizer.lr, cfg.optimizer.momentum, cfg.trainer.max_epochs) == (0.1, 0.0, 1000)
    assert cfg.data.passes_per_epoch == 1 and cfg.data.batch_size is None  # 1000 full-batch steps


@pytest.mark.parametrize("name", sorted(p.stem for p in (CONFIGS / "experiment").glob("*.yaml")))
def test_every_experiment_pins_its_steps(name):
    """An experiment that names a number of epochs also says how many steps an epoch is."""
    cfg = compose_train(f"experiment={name}")
    experiment = OmegaConf.load(CONFIGS / "experiment" / f"{name}.yaml")
    assert "max_epochs" in experiment.trainer and experiment.data.passes_per_epoch == cfg.data.passes_per_epoch == 1


@pytest.mark.parametrize("name", sorted(p.stem for p in (CONFIGS / "experiment").glob("*.yaml")))
def test_every_experiments_data_and_model_can_be_rebuilt_from_a_record(name):
    """Eval rebuilds them from the project's option and the record's values: the experiment's values must fit."""
    cfg = compose_train(f"experiment={name}")
    for group in REBUILT_FROM_RECORD:
        option = option_of(group, cfg[group])
        assert option is not None, group
        assert section_problems(group, option, flatten(OmegaConf.to_container(cfg[group], resolve=True), group)) == []


def test_command_line_overrides_beat_the_experiment(tmp_path):
    cfg = compose_train("experiment=moons", "optimizer.lr=0.123", "seed=7", output_dir=tmp_path)
    assert (cfg.optimizer.lr, cfg.seed, cfg.data.seed) == (0.123, 7, 7)


def test_local_overrides_apply_after_the_experiment_and_are_ignored_by_git(tmp_path):
    assert "configs/local/*.yaml" in (CONFIGS.parent / ".gitignore").read_text()
    configs = shutil.copytree(CONFIGS, tmp_path / "configs")  # a copy: a local file of yours stays untouched
    (configs / "local" / "default.yaml").write_text("# @package _global_\ntrainer:\n  max_epochs: 7\n")
    with initialize_config_dir(config_dir=str(configs), version_base="1.3"):
        cfg = compose(config_name="train", overrides=["experiment=moons", "paths.output_dir=unused"])
    assert cfg.trainer.max_epochs == 7 and cfg.data.n_samples == 1000


# Every data config, and the digits as images: rows of every shape the configs give.
DATA = [[f"data={p.stem}"] for p in sorted((CONFIGS / "data").glob("*.yaml"))]
DATA.append(["data=digits", "data.as_images=true"])
MODELS = sorted(p.stem for p in (CONFIGS / "model").glob("*.yaml"))


@pytest.mark.parametrize("model", MODELS)
def test_every_data_and_model_pair_builds_a_model_of_the_datas_task(model, tmp_path):
    """A model config fits all the data it can take: output width, loss and task come from the data.

    A network that cannot take some data's rows says so (`IncompatibleData`): that pair is skipped, so a fork
    adds a model for its own data without editing this test. Every model fits some data here.
    """
    fitted = []
    for data in DATA:
        required = REQUIRED_VALUES.get(("data", data[0].split("=")[1]), lambda tmp: [])(tmp_path)
        cfg = compose_train(*data, f"model={model}", *required, output_dir=tmp_path)
        datamodule = instantiate(cfg.data)
        try:
            built = build_model(cfg, datamodule)  # the model alone: the trainer is built for every option above
        except IncompatibleData:
            continue
        fitted.append(data)
        x = datamodule.splits["val"][0]
        wide = (len(x), datamodule.num_classes) if datamodule.task == "multiclass" else (len(x),)
        assert (built.task.name, built(x).shape) == (datamodule.task, wide), data
        refused = next(t for t in ("binary", "regression") if t != datamodule.task)
        with pytest.raises(ConfigError, match=f"model.task={refused} does not match the data"):
            refusing = cfg.copy()
            OmegaConf.update(refusing, "model.task", refused, force_add=True)  # as model.task=<refused> would set
            build_model(refusing, datamodule)
    assert fitted, f"model={model} fits none of the data configs"
