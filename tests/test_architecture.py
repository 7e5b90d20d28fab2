"""The house's shape holds in the code: the core imports nothing of the lab or the shell, nothing private is touched."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "backprop_lab"
CORE = ("models", "data")
NOT_FOR_THE_CORE = ("callbacks", "runs", "analysis", "tuning", "loggers", "config")
# Lightning's own `TensorBoardLogger.log_hyperparams` writes the HParams summary through this writer method.
PRIVATE_ALLOWED = {("callbacks/tensorboard_base.py", "_get_file_writer")}


def modules(folder: str = "") -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("folder", CORE)
def test_the_core_imports_nothing_of_the_lab_or_the_shell(folder):
    for path in modules(folder):
        rings = tuple(f"{PACKAGE.name}.{ring}" for ring in NOT_FOR_THE_CORE)
        wrong = {name for name in imported(path) if name.startswith(rings)}
        assert not wrong, f"{path.relative_to(PACKAGE)} imports {wrong}"


def test_no_private_attribute_of_another_object_is_read_or_written():
    """`x._name` on anything but `self`/`cls`, or `from lightning... import _Name`: internals, which move."""
    found = set()
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            private = isinstance(node, ast.Attribute) and node.attr[:1] == "_" and node.attr[:2] != "__"
            if private and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.add((path.relative_to(PACKAGE).as_posix(), node.attr))
            if isinstance(node, ast.ImportFrom) and not (node.module or "").startswith("backprop_lab"):
                names = [alias.name for alias in node.names if alias.name[:1] == "_" and alias.name[:2] != "__"]
                found.update((path.relative_to(PACKAGE).as_posix(), name) for name in names)
    assert found == PRIVATE_ALLOWED


def _is_metrics(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in ("callback_metrics", "logged_metrics")


def test_nothing_writes_into_the_trainers_metrics_by_hand():
    """Values reach `trainer.callback_metrics` through `self.log` only, as Lightning's users expect."""
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                assert not any(isinstance(t, ast.Subscript) and _is_metrics(t.value) for t in targets), path
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                assert not (_is_metrics(node.func.value) and node.func.attr in ("update", "setdefault")), path
