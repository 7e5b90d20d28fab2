"""Lightning's progress bars without `v_num`.

Lightning adds the logger's version to every bar as `v_num`, cut to its last
four characters when it is text. Here the TensorBoard version is empty (the
event folder is named by the run's name, `runs/name.py`), so the bar would end
in a bare `v_num=`: noise, not information. The run's name is in the log's
last lines and in TensorBoard.
"""

from typing import Any

import lightning as L
from lightning.pytorch.callbacks import RichProgressBar, TQDMProgressBar


def _without_version(metrics: dict[str, Any]) -> dict[str, Any]:
    metrics.pop("v_num", None)
    return metrics


class TQDMBar(TQDMProgressBar):
    """tqdm's bar (the default), as Lightning draws it, less `v_num`."""

    def get_metrics(self, trainer: L.Trainer, pl_module: L.LightningModule) -> dict[str, Any]:
        return _without_version(super().get_metrics(trainer, pl_module))


class RichBar(RichProgressBar):
    """Rich's bar, as Lightning draws it, less `v_num`."""

    def get_metrics(self, trainer: L.Trainer, pl_module: L.LightningModule) -> dict[str, Any]:
        return _without_version(super().get_metrics(trainer, pl_module))
