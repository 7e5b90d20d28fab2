"""The first view that tells the story: a layout for TensorBoard's Custom Scalars tab.

The Scalars tab lists every tag alphabetically, one chart each: `epoch` (a
straight line) first, then 18 `updates/` charts over two pages. This layout,
read by TensorBoard's own custom_scalars plugin, puts what goes together on
one chart:

    story    loss: train vs val, accuracy: train vs val, the learning rate (`lr`, every optimizer alike)
    updates  one chart per layer (e.g. hidden1): its weight's and bias's gradient norm, update norm and
             update/param ratio (the `updates/` tags of `update_telemetry.py`), and the total gradient norm

Each chart is a regular expression over tags, so it holds whatever a run
logged under them; TensorBoard merges the layouts of all runs it shows.
"""

import re

import lightning as L

from backprop_lab.callbacks.tensorboard_base import TensorBoardCallback
from backprop_lab.callbacks.watch import watched_parameters

UPDATE_KINDS = ("grad_norm", "update_norm", "update_ratio")


def exact(*tags: str) -> list[str]:
    """Regular expressions that match exactly these tags."""
    return [f"^{re.escape(tag)}$" for tag in tags]


def layout(layers: list[str]) -> dict[str, dict[str, list]]:
    """The custom_scalars layout: {category: {chart title: ["Multiline", [tag regexes]]}}."""
    kinds = "|".join(UPDATE_KINDS)
    story = {
        "loss: train vs val": ["Multiline", exact("train/loss", "val/loss")],
        "accuracy: train vs val": ["Multiline", exact("train/acc", "val/acc")],
        "learning rate": ["Multiline", exact("lr")],
    }
    updates = {
        f"{layer}: grad_norm, update_norm, update_ratio": [
            "Multiline",
            [f"^updates/{re.escape(layer)}\\.[^/]+/({kinds})$"],
        ]
        for layer in layers
    }
    updates["all layers: total gradient norm"] = ["Multiline", exact("updates/grad_norm_total")]
    return {"story": story, "updates per layer": updates}


class ScalarsLayout(TensorBoardCallback):
    """Writes the Custom Scalars layout once, when training starts."""

    what = "Custom Scalars layout"

    def __init__(self, root: str = "net") -> None:
        super().__init__()
        self.root = root

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        writer = self.writer(trainer) if trainer.is_global_zero else None
        if writer is None:
            return
        names = [name for name, _ in watched_parameters(pl_module, self.root)]
        layers = list(dict.fromkeys(name.rsplit(".", 1)[0] if "." in name else name for name in names))
        writer.add_custom_scalars(layout(layers))
