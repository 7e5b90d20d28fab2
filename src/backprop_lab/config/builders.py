"""Building the config's parts (optimizer, scheduler, Trainer, callbacks, loggers) with their own checks up front.

torch and Lightning check their arguments well, but late and in their own
words: a bad optimizer argument fails inside `trainer.fit` (in
`configure_optimizers`, after the sanity check), a bad Trainer argument as a
Hydra `InstantiationException` at the end of a long traceback. So the
optimizer and the scheduler are built once before training, every part is
built through `build_part`, and whatever they refuse (ValueError,
TypeError, Lightning's MisconfigurationException) becomes a `ConfigError`
that names the config fields their message mentions. This covers any
optimizer, scheduler or Trainer argument, also those of a fork's own YAML,
without a rule per argument.
"""

import functools
import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any

import lightning as L
import torch
from hydra.core.hydra_config import HydraConfig
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from lightning.fabric.utilities.exceptions import MisconfigurationException
from omegaconf import DictConfig

from backprop_lab.errors import ConfigError, MissingPackage, UserError

# Words torch and Lightning use in their messages for a config field's name.
ALIASES = {"lr": "learning rate", "eps": "epsilon", "betas": "beta", "accelerator": "backend"}
# An example to show for a field Lightning or torch refused (the values in configs/).
EXAMPLES = {
    "trainer.accelerator": "trainer=cpu, or trainer.accelerator=auto to use a GPU only where there is one",
    "trainer.devices": "trainer.devices=1",
    "trainer.precision": "trainer.precision=32-true (on a GPU also 16-mixed or bf16-mixed)",
    "trainer.strategy": "trainer.strategy=auto",
    "optimizer.nesterov": "optimizer.nesterov=true optimizer.momentum=0.9 optimizer.dampening=0",
    "scheduler.factor": "scheduler.factor=0.5",
    "scheduler.mode": "scheduler.mode=min",
}
GROUP_EXAMPLES = {
    "trainer": "trainer.max_epochs=100 or +trainer.fast_dev_run=true",
    "optimizer": "optimizer=adam optimizer.lr=0.05 (configs/optimizer/ holds the ones that ship)",
    "scheduler": "scheduler=step (configs/scheduler/ holds the ones that ship)",
    "lr_finder": "lr_finder.num_training=200",
}
REFUSALS = (ValueError, TypeError, MisconfigurationException, ImportError)
_UNEXPECTED = re.compile(r"unexpected keyword argument '(\w+)'")


def _shown(value: Any) -> str:
    return f"{value!r}" if isinstance(value, str) else str(value)


def _named_fields(group: str, node: DictConfig, message: str) -> list[str]:
    """The `group.key` fields the message mentions (by name or torch's word for it), first mentioned first.

    When it mentions none, the fields of the group set on the command line: the likely cause.
    """
    text = message.lower()
    keys = [str(k) for k in node if not str(k).startswith("_")]
    first: dict[str, int] = {}
    for key in keys:
        for word in {key.lower(), key.lower().replace("_", " "), ALIASES.get(key, key)}:
            found = re.search(rf"\b{re.escape(word)}\b", text)
            if found:
                first[key] = min(first.get(key, len(text)), found.start())
    if first:
        return [f"{group}.{k}" for k in sorted(first, key=first.get)]
    given = HydraConfig.get().overrides.task if HydraConfig.initialized() else []
    return [f"{group}.{k}" for k in keys if any(o.lstrip("+~").startswith(f"{group}.{k}=") for o in given)]


def refused(group: str, node: DictConfig, err: BaseException) -> ConfigError:
    """A `ConfigError` for a config group whose class refused its arguments with `err`."""
    target = node.get("_target_", "?")
    message = " ".join(str(err).split()) or type(err).__name__
    message += "" if message.endswith((".", "!", "?")) else "."
    unknown = _UNEXPECTED.search(message)
    if unknown:
        field = f"{group}.{unknown.group(1)}"
        return ConfigError(
            f"Invalid config, nothing was trained. {field} is not an argument of {target}: remove +{field} or fix "
            f"its spelling, e.g. {GROUP_EXAMPLES.get(group, f'{group}.<argument>=<value>')}. "
            f"`python scripts/train.py --cfg job --package {group}` shows the arguments the config passes now."
        )
    if isinstance(err, ImportError) and message.startswith("Error loading"):  # Hydra could not import _target_
        return ConfigError(
            f"Invalid config, nothing was trained. {group}._target_={target} cannot be imported: {message} "
            f"Give a class that exists, e.g. {GROUP_EXAMPLES.get(group, 'a class from configs/')}."
        )
    fields = _named_fields(group, node, message)
    now = ", ".join(f"{f}={_shown(node.get(f[len(group) + 1 :]))}" for f in fields) or f"its {group}.* settings"
    example = next((EXAMPLES[f] for f in fields if f in EXAMPLES), None if fields else GROUP_EXAMPLES.get(group))
    return ConfigError(
        f"Invalid config, nothing was trained. {target} refused {now}: {message} "
        f"Set {' and '.join(fields) or f'the {group}.* values'} to what {target} allows"
        + (f", e.g. {example}." if example else " (see its documentation).")
    )


def build_part(group: str, node: DictConfig, **kwargs: Any) -> Any:
    """`instantiate(node, **kwargs)`; arguments its class refuses become a `ConfigError` naming `group`'s fields."""
    try:
        return instantiate(node, **kwargs)
    except InstantiationException as err:
        cause = err.__cause__
        if not isinstance(cause, UserError):
            _reword(group, node, err, cause)
    # The class's own one-paragraph refusal (an MLflow store it cannot use), raised here, outside the handler:
    # raised inside it, it would hold Hydra's wrapper as its context, which holds it as its cause (a cycle).
    raise cause


def _reword(group: str, node: DictConfig, err: InstantiationException, cause: BaseException | None) -> None:
    if isinstance(cause, ModuleNotFoundError):  # what Lightning raises for a logger's missing extra
        raise MissingPackage(
            f"{group} ({node.get('_target_')}) needs a package that is not installed: {cause}. Install the "
            "project's extra for it: pip install -e '.[mlflow]' (logger=mlflow), '.[wandb]' (logger=wandb) or "
            "'.[rich]' (callbacks/progress_bar=rich); or choose another one, e.g. logger=tensorboard."
        ) from err
    if cause is not None and not isinstance(cause, REFUSALS):
        raise err  # not an argument problem: a bug, keep its traceback
    raise refused(group, node, cause or err) from err


def checked_partial(group: str, node: DictConfig) -> functools.partial:
    """A `_partial_: true` config's partial, its keyword arguments checked against the function's signature."""
    factory = build_part(group, node, _convert_="all")
    try:
        inspect.signature(factory.func).bind_partial(*factory.args, **factory.keywords)
    except TypeError as err:
        raise refused(group, node, err) from err
    return factory


def optimizer_factory(node: DictConfig, **overrides: Any) -> Callable[..., torch.optim.Optimizer]:
    """The optimizer partial, its list and dict arguments converted to plain Python.

    The optimizer keeps its arguments in `param_groups`, which go into every
    checkpoint; an OmegaConf `ListConfig` there (`betas: [0.9, 0.999]`) would
    make the checkpoint unloadable with `weights_only=True`. Converting here,
    not in each YAML, covers a fork's new optimizer config too.
    """
    return build_part("optimizer", node, _convert_="all", **overrides)


def scheduler_factory(node: DictConfig | None) -> Callable[[torch.optim.Optimizer], Any] | None:
    """The scheduler partial (plain Python arguments, as for the optimizer), or None without a scheduler."""
    return build_part("scheduler", node, _convert_="all") if node else None


def check_optimizer_and_scheduler(
    cfg: DictConfig, optimizer: Callable, scheduler: Callable | None, parameters: Iterable[torch.nn.Parameter]
) -> None:
    """Build both once on the network's parameters (nothing changes them), so their own checks run before training.

    The real parameters, not a dummy: some optimizers also check them (e.g. `torch.optim.Muon` takes 2-D ones only).
    """
    try:
        dummy = optimizer(list(parameters))
    except REFUSALS as err:
        raise refused("optimizer", cfg.optimizer, err) from err
    if scheduler is None:
        return
    try:
        scheduler(dummy)
    except REFUSALS as err:
        raise refused("scheduler", cfg.scheduler, err) from err


def build_trainer(node: DictConfig, **kwargs: Any) -> L.Trainer:
    """`lightning.Trainer(**trainer config, **kwargs)`; an argument Lightning refuses becomes a `ConfigError`."""
    return build_part("trainer", node, **kwargs)
