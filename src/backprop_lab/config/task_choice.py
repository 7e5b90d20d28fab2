"""Which task a run trains: the data's declared one, unless `model.task` names another (which is refused).

The model follows the data, as its input width does: `model.task: null`
(the default) takes the data's task, number of classes and class names. A
`model.task` that differs from the data's is a mistake (a regressor on
class labels, a classifier on values) and stops the run before training.
"""

from typing import Any

from backprop_lab.errors import ConfigError
from backprop_lab.models.tasks import REGRESSION_LOSSES, TASK_NAMES


def chosen_task(model_task: Any, datamodule: Any, loss: Any = "mse") -> tuple[str, int, list[str]]:
    """(task, number of classes, class names) for a model config's `task` and the data module."""
    if loss not in REGRESSION_LOSSES:
        raise ConfigError(
            f"Invalid config, nothing was trained. model.loss={loss!r} is not allowed: the regression losses are "
            f"{', '.join(REGRESSION_LOSSES)}, e.g. model.loss=huber."
        )
    names = list(getattr(datamodule, "class_names", ["0", "1"]))  # reads the data: a CSV's task comes from its labels
    data_task = getattr(datamodule, "task", "binary")
    if model_task is not None and model_task not in TASK_NAMES:
        raise ConfigError(
            f"Invalid config, nothing was trained. model.task={model_task!r} is not a task: allowed are "
            f"{', '.join(TASK_NAMES)}, or null to take the data's own task (the default), e.g. model.task=null."
        )
    if model_task is not None and model_task != data_task:
        raise ConfigError(
            f"Invalid config, nothing was trained. model.task={model_task} does not match the data, which "
            f"declare the {data_task} task ({type(datamodule).__name__}). Leave model.task=null to follow the "
            f"data, or choose data of the {model_task} task (e.g. data=csv data.task={model_task})."
        )
    return data_task, len(names), names
