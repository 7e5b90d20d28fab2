"""The HParams plugin's three summaries (experiment, session start, session end), built without TensorFlow.

The experiment and the session start come from TensorBoard's own builders,
`tensorboard.plugins.hparams.summary_v2.hparams_config_pb` and `hparams_pb`,
which need no TensorFlow. Each is adjusted in one place where the builder
cannot say what the HParams tab needs (see the comments there); summary_v2
has no builder for the session end, which is built here from the same modules.
"""

import time
from typing import Any

from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.plugins.hparams import api_pb2, metadata, plugin_data_pb2, summary_v2

STRING, NUMBER, BOOL = api_pb2.DATA_TYPE_STRING, api_pb2.DATA_TYPE_FLOAT64, api_pb2.DATA_TYPE_BOOL


def data_type(value: Any) -> int:
    """The HParams column type for a Python value (anything but bool and numbers is text)."""
    if isinstance(value, bool):
        return BOOL
    return NUMBER if isinstance(value, (int, float)) else STRING


def _replace_plugin_data(summary: Summary, data: plugin_data_pb2.HParamsPluginData) -> Summary:
    summary.value[0].metadata.CopyFrom(metadata.create_summary_metadata(data))
    return summary


def experiment_summary(columns: dict[str, int], metrics: list[str], shown: frozenset[str] = frozenset()) -> Summary:
    """Declares the hyperparameter columns (name -> data type) and the metric tags shown next to them.

    Columns in `shown` are marked `differs`: TensorBoard lists those first
    and its HParams tab ticks the first five of the list for display.
    """
    summary = summary_v2.hparams_config_pb(
        [summary_v2.HParam(name) for name in columns],
        [summary_v2.Metric(tag) for tag in metrics],
        time_created_secs=time.time(),
    )
    # summary_v2 cannot set `differs` (its HParam has no such argument), and sets a column's type only through
    # a domain of known values, which a sweep's columns do not have before it runs: both are set on its proto.
    experiment = metadata.parse_experiment_plugin_data(summary.value[0].metadata.plugin_data.content)
    for info in experiment.hparam_infos:
        info.type, info.differs = columns[info.name], info.name in shown
    return _replace_plugin_data(summary, plugin_data_pb2.HParamsPluginData(experiment=experiment))


def session_start_summary(values: dict[str, bool | int | float | str], trial: str = "") -> Summary:
    """This run's hyperparameter values, as a session of its own; `trial` names its row (default: its folder)."""
    summary = summary_v2.hparams_pb(values, start_time_secs=time.time())
    # summary_v2 always names a session group (a hash of the values, or a trial id), and TensorBoard shows the
    # runs of one group as one row; without a name each run is its own row, named by its folder, as a sweep needs.
    info = metadata.parse_session_start_info_plugin_data(summary.value[0].metadata.plugin_data.content)
    info.ClearField("group_name")
    if trial:  # unique per sweep job (`runs/name.py: trial_name`), so the row still holds this run alone
        info.group_name = trial
    return _replace_plugin_data(summary, plugin_data_pb2.HParamsPluginData(session_start_info=info))


def session_end_summary() -> Summary:
    """Marks the run as finished successfully (summary_v2 has no builder for it)."""
    info = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS, end_time_secs=time.time())
    data = plugin_data_pb2.HParamsPluginData(session_end_info=info)
    return Summary(
        value=[
            Summary.Value(
                tag=metadata.SESSION_END_INFO_TAG,
                metadata=metadata.create_summary_metadata(data),
                tensor=metadata.NULL_TENSOR,
            )
        ]
    )
