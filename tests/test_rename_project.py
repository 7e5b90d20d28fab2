"""scripts/rename_project.py renames the package in a copy of the project, all or nothing; the copy lints and trains."""

import hashlib
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import QUIET, ROOT, read_metrics, run_in_process, run_script

# What a fork needs; not .git, .venv, logs/ or caches.
PROJECT = ["src", "benchmarks", "configs", "scripts", "tests", "docs", "pyproject.toml", "README.md"]
PROJECT += [".ci", ".github", ".pre-commit-config.yaml", "constraints.txt"]
IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info", ".pytest_cache", "*.png")
# Longer than the old name and sorting before `conftest`; sorting after `test_`: each once broke `ruff check .`.
NEW_NAMES = ["aa_forked_lab_with_long_name", "zeta_lab"]
RENAME = ROOT / "scripts" / "rename_project.py"


def copy_project(dst: Path) -> Path:
    for name in PROJECT:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=IGNORE)
        elif src.is_file():
            shutil.copy2(src, dst / name)
    return dst


def tree(root: Path) -> dict[str, str]:
    """Every file and folder under `root`: a hash of each file's bytes and mode, "dir" for a folder."""
    return {
        str(p.relative_to(root)): "dir"
        if p.is_dir()
        else hashlib.sha256(p.read_bytes() + oct(p.stat().st_mode).encode()).hexdigest()
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.slow
@pytest.mark.parametrize("NEW", NEW_NAMES)
def test_renamed_copy_has_no_old_name_lints_clean_and_trains(tmp_path, monkeypatch, NEW):
    copy = copy_project(tmp_path / "fork")
    proc = run_script(copy / "scripts" / "rename_project.py", NEW, cwd=copy)
    assert proc.returncode == 0, proc.stderr
    assert f"renamed src/backprop_lab/ -> src/{NEW}/" in proc.stdout
    assert "pyproject.toml: " in proc.stdout and "configs/model/mlp.yaml: " in proc.stdout
    assert 'pip install -c constraints.txt -e ".[test]"' in proc.stdout  # the README's install command

    files = [p for p in copy.rglob("*") if p.is_file()]
    left = [str(p) for p in files if "backprop_lab" in p.read_text(errors="ignore")]
    assert left == [] and not (copy / "src" / "backprop_lab").exists()
    assert f'name = "{NEW.replace("_", "-")}"' in (copy / "pyproject.toml").read_text()

    for lint in (["check", "."], ["format", "--check", "."]):  # what CI runs, on the renamed copy
        proc = subprocess.run([sys.executable, "-m", "ruff", *lint], capture_output=True, text=True, cwd=copy)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    if NEW != "zeta_lab":
        return  # training does not depend on the name's place in the alphabet: one name trains
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


def test_a_file_that_cannot_be_written_stops_the_rename_before_anything_changes(tmp_path):
    copy = copy_project(tmp_path / "fork")
    blocker = copy / "tests" / ".test_train.py.renaming"  # where the new text of tests/test_train.py would go
    blocker.mkdir()
    before = tree(copy)
    proc = run_script(copy / "scripts" / "rename_project.py", "zeta_lab", cwd=copy)
    assert proc.returncode == 2, proc.stdout
    assert f"cannot write {blocker}" in proc.stderr and "Nothing was changed" in proc.stderr
    assert "Traceback" not in proc.stderr and tree(copy) == before


@pytest.mark.parametrize("failing", ["file", "folder"])
def test_a_failure_half_way_puts_every_file_and_folder_back(tmp_path, monkeypatch, failing):
    copy = copy_project(tmp_path / "fork")
    spec = importlib.util.spec_from_file_location("rename_project", RENAME)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    before = tree(copy)
    calls = {"replace": 0}
    real_replace, real_rename = script.os.replace, Path.rename

    def replace(src, dst):
        calls["replace"] += 1
        if failing == "file" and calls["replace"] == 40:  # well into the files: 39 already rewritten
            raise OSError(30, "Read-only file system", str(dst))
        real_replace(src, dst)

    def rename(self, target):
        if failing == "folder" and self.name == "backprop_lab":  # after the plugin's folder was renamed
            raise OSError(30, "Read-only file system", str(self))
        return real_rename(self, target)

    monkeypatch.setattr(script.os, "replace", replace)
    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(script.NothingChanged, match="Read-only file system"):
        script.rename(copy, "zeta_lab")
    assert calls["replace"] >= 40 and tree(copy) == before


def test_tests_import_helper_modules_never_a_sibling_test_module():
    """A test module imported by another sorts with the package's imports: its place would depend on the name."""
    offenders = [
        f"{path.name}: {line}"
        for path in sorted((ROOT / "tests").glob("*.py"))
        for line in path.read_text().splitlines()
        if line.startswith(("from test_", "import test_"))
    ]
    assert offenders == []
