"""scripts/rename_project.py renames the package in a copy of the project; the copy still lints clean and trains."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import QUIET, ROOT, read_metrics, run_in_process, run_script

# What a fork needs; not .git, .venv, logs/ or caches.
PROJECT = ["src", "benchmarks", "configs", "scripts", "tests", "docs", "pyproject.toml", "README.md"]
PROJECT += [".ci", ".pre-commit-config.yaml"]
IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info", ".pytest_cache", "*.png")
# Longer than the old name and sorting after `helpers`: both once broke `ruff check .` on a renamed copy.
NEW = "my_forked_lab_with_long_name"


def copy_project(dst: Path) -> Path:
    for name in PROJECT:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=IGNORE)
        elif src.is_file():
            shutil.copy2(src, dst / name)
    return dst


@pytest.mark.slow
def test_renamed_copy_has_no_old_name_lints_clean_and_trains(tmp_path, monkeypatch):
    copy = copy_project(tmp_path / "fork")
    proc = run_script(copy / "scripts" / "rename_project.py", NEW, cwd=copy)
    assert proc.returncode == 0, proc.stderr
    assert f"renamed src/backprop_lab/ -> src/{NEW}/" in proc.stdout
    assert "pyproject.toml: " in proc.stdout and "configs/model/mlp.yaml: " in proc.stdout
    assert 'pip install -e ".[test]"' in proc.stdout  # the README's install command

    files = [p for p in copy.rglob("*") if p.is_file()]
    left = [str(p) for p in files if "backprop_lab" in p.read_text(errors="ignore")]
    assert left == [] and not (copy / "src" / "backprop_lab").exists()
    assert f'name = "{NEW.replace("_", "-")}"' in (copy / "pyproject.toml").read_text()

    for lint in (["check", "."], ["format", "--check", "."]):  # what CI runs, on the renamed copy
        proc = subprocess.run([sys.executable, "-m", "ruff", *lint], capture_output=True, text=True, cwd=copy)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    # The copy's package, not the installed one: only the copy has a package of the new name, so the run
    # below, whose config names its classes, shows it imports and trains. Run here: the new name cannot
    # clash with this project's modules, and the copy's modules are dropped again after the run.
    monkeypatch.syspath_prepend(str(copy / "src"))
    monkeypatch.chdir(copy)
    run_dir = tmp_path / "run"
    try:
        proc = run_in_process(copy / "scripts" / "train.py", *QUIET, f"hydra.run.dir={run_dir}", "trainer.max_epochs=2")
        assert sys.modules[f"{NEW}.train"].__file__ == str(copy / "src" / NEW / "train.py")
    finally:
        for name in [name for name in sys.modules if name.split(".")[0] == NEW]:
            del sys.modules[name]
    assert proc.returncode == 0, proc.stderr
    assert read_metrics(run_dir)["status"] == "success"
    assert f"{NEW}.models.classifier.TaskModel" in (run_dir / ".hydra" / "config.yaml").read_text()


def test_bad_names_are_refused_and_nothing_changes(tmp_path):
    copy = copy_project(tmp_path / "fork")
    before = (copy / "pyproject.toml").read_text()
    too_long = "a_name_so_long_that_lines_would_pass_the_limit"
    for name in ["My-Lab", "class", "json", "backprop_lab", too_long]:
        proc = run_script(copy / "scripts" / "rename_project.py", name, cwd=copy)
        assert proc.returncode == 2
        assert proc.stderr.startswith(f"error: cannot rename backprop_lab to '{name}'")
    assert "would pass ruff's line-length of 120" in proc.stderr
    assert (copy / "pyproject.toml").read_text() == before and (copy / "src" / "backprop_lab").is_dir()
