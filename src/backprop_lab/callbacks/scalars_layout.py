"""The first view that tells the story: a layout for TensorBoard's Custom Scalars tab.

The Scalars tab lists every tag alphabetically, one chart each: `epoch` (a
straight line) first, then dozens of `updates/` charts over several pages.
This layout, read by TensorBoard's own custom_scalars plugin, groups them,
one quantity per chart (a chart never mixes units):

    story          loss: train vs val, accuracy: train vs val, the learning rate (`lr`, every optimizer alike)
    whole network  gradient norm, update norm, update/param ratio (log10, with the -3 = 1e-3 reference line):
                   one line per run, so an 18-job sweep is 18 lines a chart
    per layer      the same three quantities, one line per parameter (`hidden1.weight`, `hidden1.bias`, ...)

The ratio is logged as log10 (`update_telemetry.py`): -3 is the rule of
thumb's steady 1e-3, -1 a layer thrown around, -6 one that has stopped.
Each chart is a regular expression over tags, so it holds whatever a run
logged under them; TensorBoard merges the layouts of all runs it shows.
"""

import re

import lightning as L

from backprop_lab.callbacks.tensorboard_base import TensorBoardCallback

RATIO = "update_ratio_log10"
REFERENCE = f"updates/reference/{RATIO}"
# (tag suffix, chart title) of the quantities charted, whole network and per layer.
QUANTITIES = (
    ("grad_norm", "gradient norm ||g||"),
    ("update_norm", "update norm ||θ_after − θ_before||"),
    (RATIO, "update/param ratio, log10 (−3 is 1e-3)"),
)


def exact(*tags: str) -> list[str]:
    """Regular expressions that match exactly these tags."""
    return [f"^{re.escape(tag)}$" for tag in tags]


def layout() -> dict[str, dict[str, list]]:
    """The custom_scalars layout: {category: {chart title: ["Multiline", [tag regexes]]}}."""
    story = {
        "loss: train vs val": ["Multiline", exact("train/loss", "val/loss")],
        "accuracy: train vs val": ["Multiline", exact("train/acc", "val/acc")],
        "learning rate": ["Multiline", exact("lr")],
    }
    network, layers = {}, {}
    for suffix, title in QUANTITIES:
        reference = exact(REFERENCE) if suffix == RATIO else []
        network[f"{title}, whole network"] = ["Multiline", [*exact(f"updates/total/{suffix}"), *reference]]
        # A parameter's name holds a dot (`hidden1.weight`); `total`, `reference` and `lr` do not.
        layers[f"{title}, per layer"] = ["Multiline", [f"^updates/[^/]*\\.[^/]*/{suffix}$", *reference]]
    return {"story": story, "updates: whole network": network, "updates: per layer": layers}


class ScalarsLayout(TensorBoardCallback):
    """Writes the Custom Scalars layout once, when training starts."""

    what = "Custom Scalars layout"

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        writer = self.writer(trainer) if trainer.is_global_zero else None
        if writer is not None:
            writer.add_custom_scalars(layout())
