"""The template's overrides for each step case: its data, network and optimizer, and which callbacks run."""

import torch

from benchmarks.settings import Sizes

# The lab's callbacks (configs/callbacks/default.yaml): what makes backprop visible, not what trains. The
# throughput cases run the template without them and with the rest of its default config: checkpoints,
# learning-rate monitor, progress bar, NaN stop, TensorBoard's scalars, validation.
LAB_CALLBACKS_OFF = [
    f"~callbacks.{name}"
    for name in ("update_telemetry", "histograms", "decision_boundary", "hparams", "scalars_layout", "loss_landscape")
]

# Everything Lightning adds beyond the loop itself, turned off: the template's "everything off".
EVERYTHING_OFF = ["debug=bare"]


def throughput_overrides(s: Sizes) -> list[str]:
    """Case 2's data and network (`memory_phases.py` runs them too)."""
    # data=noisy_xor holds out 1% each for val and test, so its train split has about n_train points.
    return [
        "data=noisy_xor",
        f"data.n_samples={round(s.n_train / 0.98)}",
        "data.val_fraction=0.01",
        "data.test_fraction=0.01",
        f"model.net.hidden=[{','.join(map(str, s.hidden))}]",
    ]


def wide_centers(classes: int, features: int) -> str:
    """One blob centre per class, drawn once from a fixed seed, as a Hydra list override."""
    centers = torch.randn(classes, features, generator=torch.Generator().manual_seed(0))
    return "[" + ",".join("[" + ",".join(f"{v:.3f}" for v in c.tolist()) + "]" for c in centers) + "]"


def wide_overrides(s: Sizes) -> list[str]:
    """Case 4's data, network and optimizer (`memory_phases.py` runs them too)."""
    return [
        "data=blobs",
        f"data.n_samples={round(s.wide_train / 0.98)}",
        f"data.num_classes={s.wide_classes}",
        f"data.sampler.centers={wide_centers(s.wide_classes, s.wide_features)}",
        "data.noise=2.0",
        "data.val_fraction=0.01",
        "data.test_fraction=0.01",
        f"model.net.hidden=[{','.join(map(str, s.wide_hidden))}]",
        "model.net.activation=relu",
        "optimizer=adam",
        "optimizer.lr=0.001",
    ]


def digits_cnn_overrides(s: Sizes) -> list[str]:
    """Case 5: `experiment=digits_cnn` as it ships (30 epochs of batch 64), or fewer epochs at smoke sizes."""
    return ["experiment=digits_cnn", *([f"trainer.max_epochs={s.digits_epochs}"] if s.digits_epochs else [])]
