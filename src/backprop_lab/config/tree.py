"""The composed config, as the run uses it: a tree printed at start, `config_tree.log`, and flat logger params.

`.hydra/config.yaml` already holds the whole config, unresolved and in
Hydra's key order. The tree shows what decides a run first (data, model,
optimizer, ...), with interpolations resolved, and leaves out the empty
top-level values (`ckpt_path: null`, ...) and the `extras` switches.
Rich draws it when installed (`pip install -e ".[rich]"`); otherwise the same
tree is drawn as plain text, so the default start-up never imports rich.
"""

import logging
import re
from io import StringIO
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

log = logging.getLogger(__name__)

# The groups shown, in this order; then the run's other top-level values.
GROUPS = ("data", "model", "optimizer", "scheduler", "lr_finder", "callbacks", "logger", "trainer", "paths")
HIDDEN = {"extras", "hydra"}
TREE_FILE = "config_tree.log"
KEY = re.compile(r"^ *[^\s:]+:", re.MULTILINE)  # a YAML key at the start of a line, for Rich to colour


def _container(node: Any) -> Any:
    """A config node as plain Python, resolved where it can be (`${hydra:...}` outside a Hydra run stays as written)."""
    if not OmegaConf.is_config(node):
        return node
    try:
        return OmegaConf.to_container(node, resolve=True)
    except OmegaConfBaseException:
        return OmegaConf.to_container(node)


class _Dumper(yaml.SafeDumper):
    """YAML with mappings as blocks and lists on one line (`hidden: [8]`), in the config's key order."""


_Dumper.add_representer(list, lambda dumper, v: dumper.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _yaml(node: Any) -> str:
    return yaml.dump(_container(node), Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=110)


def branches(cfg: DictConfig) -> dict[str, str]:
    """What the tree shows: each group that is set, then `run` (the other non-empty top-level values), as YAML."""
    shown = {name: _yaml(cfg[name]) for name in GROUPS if cfg.get(name)}
    rest = {
        key: _container(cfg[key])
        for key in cfg
        if key not in GROUPS and key not in HIDDEN and cfg[key] is not None and cfg[key] != []
    }
    if rest:
        shown["run"] = _yaml(rest)
    return shown


def plain_tree(parts: dict[str, str]) -> str:
    """The tree drawn with box characters, as Rich would, without Rich."""
    lines = ["CONFIG"]
    for i, (name, text) in enumerate(parts.items()):
        last = i == len(parts) - 1
        lines.append(("└── " if last else "├── ") + name)
        lines += [("    " if last else "│   ") + row for row in text.rstrip("\n").splitlines()]
    return "\n".join(lines) + "\n"


def rich_tree(parts: dict[str, str]) -> Any:
    """A Rich renderable of the same tree, keys in colour.

    Plain text with the keys styled rather than `rich.syntax.Syntax`: its
    YAML highlighting (pygments) cost about as much as the whole start-up of
    a small run, this a small fraction of it (docs/performance.md).
    """
    from rich.console import Group
    from rich.text import Text
    from rich.tree import Tree

    tree = Tree("CONFIG", guide_style="dim")
    for name, text in parts.items():
        body = Text(text.rstrip("\n"))
        body.highlight_regex(KEY, "cyan")
        tree.add(Group(Text(name, style="bold"), body))
    return tree


def _rich_available() -> bool:
    from importlib.util import find_spec

    return find_spec("rich") is not None


def print_config_tree(cfg: DictConfig, output_dir: Path) -> Path:
    """Print the tree to the console and write it, as plain text, to `<output_dir>/config_tree.log`."""
    parts = branches(cfg)
    path = Path(output_dir) / TREE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    if _rich_available():
        from rich.console import Console

        tree = rich_tree(parts)
        Console().print(tree)
        text = StringIO()
        Console(file=text, color_system=None, width=200).print(tree)
        path.write_text(text.getvalue())
    else:
        text = plain_tree(parts)
        print(text, end="", flush=True)
        path.write_text(text)
    return path


def _flatten(node: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = node if node is None or isinstance(node, (bool, int, float, str)) else str(node)


def flat_params(cfg: DictConfig) -> dict[str, Any]:
    """The run's settings for a logger's params table: `optimizer.lr`, `model.net.hidden`, `seed`, `tags`, ...

    The same selection as the tree, without the callbacks, loggers and paths
    (wiring rather than hyperparameters); lists become their text (`[8]`).
    """
    wanted = [name for name in GROUPS if name not in {"callbacks", "logger", "paths"} and cfg.get(name)]
    keys = [*wanted, *(key for key in cfg if key not in GROUPS and key not in HIDDEN)]
    out: dict[str, Any] = {}
    for key in keys:
        value = _container(cfg[key])
        if key == "tags" and isinstance(value, list):
            value = ",".join(str(tag) for tag in value)
        _flatten(value, key, out)
    return out
