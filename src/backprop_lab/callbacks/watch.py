"""What the telemetry callbacks watch: the network's parameters; how often is checked in config/checks.py."""

import lightning as L
from torch import nn

from backprop_lab.errors import ConfigError

# The attribute the template's LightningModule keeps its network in; any other module is watched whole.
DEFAULT_ROOT = "net"


def watched_root(pl_module: L.LightningModule, root: str) -> str:
    """The submodule path the callbacks watch: `root`, or "" (the whole module) for `net` on a module without one.

    A forker's LightningModule need not keep its network in `net`: the default
    then watches every parameter of the module itself (conv, norm and linear
    layers alike), named as `named_parameters()` names them. Any other root
    that names no submodule is a typo in the config and an error.
    """
    try:
        pl_module.get_submodule(root)
    except AttributeError as err:
        if root == DEFAULT_ROOT:
            return ""
        raise ConfigError(
            f"callbacks: root={root!r} names no submodule of {type(pl_module).__name__}; set it to the attribute "
            "that holds the network (e.g. root=net) or to an empty string to watch the whole module."
        ) from err
    return root


def watched_module(pl_module: L.LightningModule, root: str) -> nn.Module:
    """The module the callbacks watch (see `watched_root`)."""
    return pl_module.get_submodule(watched_root(pl_module, root))


def watched_parameters(pl_module: L.LightningModule, root: str) -> list[tuple[str, nn.Parameter]]:
    """The trainable parameters of the watched module (see `watched_root`), named relative to it.

    Every module with parameters is covered: linear, conv, norm and a
    forker's own layers. Naming them relative to the network (`hidden1.weight`,
    not `net.hidden1.weight`) keeps the tags short and the same for any
    LightningModule that holds it.
    """
    return [(name, p) for name, p in watched_module(pl_module, root).named_parameters() if p.requires_grad]
