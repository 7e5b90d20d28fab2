"""The HParams plugin's three summaries (experiment, session start, session end), built without TensorFlow.

tensorboard's own `plugins.hparams.summary` builders import TensorFlow, and
`torch.utils.tensorboard.summary.hparams` declares only the columns of the
run at hand (see `hparams.py` for why that is not enough). These build the
same protocol buffers from tensorboard's TensorFlow-free modules.
"""

import time
from typing import Any

from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2

STRING, NUMBER, BOOL = api_pb2.DATA_TYPE_STRING, api_pb2.DATA_TYPE_FLOAT64, api_pb2.DATA_TYPE_BOOL


def data_type(value: Any) -> int:
    """The HParams column type for a Python value (anything but bool and numbers is text)."""
    if isinstance(value, bool):
        return BOOL
    return NUMBER if isinstance(value, (int, float)) else STRING


def _summary(tag: str, data: plugin_data_pb2.HParamsPluginData) -> Summary:
    return Summary(
        value=[Summary.Value(tag=tag, metadata=metadata.create_summary_metadata(data), tensor=metadata.NULL_TENSOR)]
    )


def experiment_summary(columns: dict[str, int], metrics: list[str], shown: frozenset[str] = frozenset()) -> Summary:
    """Declares the hyperparameter columns (name -> data type) and the metric tags shown next to them.

    Columns in `shown` are marked `differs`: TensorBoard lists those first
    and its HParams tab ticks the first five of the list for display.
    (`summary_v2.hparams_config_pb` builds the same proto but cannot set `differs`.)
    """
    experiment = api_pb2.Experiment(
        time_created_secs=time.time(),
        hparam_infos=[
            api_pb2.HParamInfo(name=name, type=kind, differs=name in shown) for name, kind in columns.items()
        ],
        metric_infos=[api_pb2.MetricInfo(name=api_pb2.MetricName(tag=tag)) for tag in metrics],
    )
    return _summary(metadata.EXPERIMENT_TAG, plugin_data_pb2.HParamsPluginData(experiment=experiment))


def session_start_summary(values: dict[str, bool | int | float | str]) -> Summary:
    """This run's hyperparameter values."""
    info = plugin_data_pb2.SessionStartInfo(start_time_secs=time.time())
    for name, value in values.items():
        kind = data_type(value)
        if kind == BOOL:
            info.hparams[name].bool_value = value
        elif kind == NUMBER:
            info.hparams[name].number_value = value
        else:
            info.hparams[name].string_value = str(value)
    return _summary(metadata.SESSION_START_INFO_TAG, plugin_data_pb2.HParamsPluginData(session_start_info=info))


def session_end_summary() -> Summary:
    """Marks the run as finished successfully."""
    info = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS, end_time_secs=time.time())
    return _summary(metadata.SESSION_END_INFO_TAG, plugin_data_pb2.HParamsPluginData(session_end_info=info))
