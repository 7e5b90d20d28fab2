"""What the telemetry callbacks watch: the network's parameters; how often is checked in config/checks.py."""

import lightning as L
from torch import nn

from backprop_lab.errors import ConfigError


def watched_parameters(pl_module: L.LightningModule, root: str) -> list[tuple[str, nn.Parameter]]:
    """The trainable parameters of `pl_module.<root>` (the whole module for root=""), named relative to it.

    Naming them relative to the network (`hidden1.weight`, not `net.hidden1.weight`)
    keeps the tags short and the same for any LightningModule that holds it.
    """
    try:
        module = pl_module.get_submodule(root)
    except AttributeError as err:
        raise ConfigError(
            f"callbacks: root={root!r} names no submodule of {type(pl_module).__name__}; set it to the attribute "
            "that holds the network (e.g. root=net) or to an empty string to watch the whole module."
        ) from err
    return [(name, p) for name, p in module.named_parameters() if p.requires_grad]
