"""scripts/rename_project.py renames the package in a copy of the project, and the copy still trains."""

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import QUIET, ROOT, read_metrics, run_script

# What a fork needs; not .git, .venv, logs/ or caches.
PROJECT = ["src", "configs", "scripts", "tests", "pyproject.toml", "README.md", ".ci", ".pre-commit-config.yaml"]
IGNORE = shutil.ignore_patterns("__pycache__", "*.egg-info", ".pytest_cache")


def copy_project(dst: Path) -> Path:
    for name in PROJECT:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=IGNORE)
        elif src.is_file():
            shutil.copy2(src, dst / name)
    return dst


def test_rename_leaves_no_old_name_and_the_renamed_package_trains(tmp_path, monkeypatch):
    copy = copy_project(tmp_path / "fork")
    proc = run_script(copy / "scripts" / "rename_project.py", "my_lab", cwd=copy)
    assert proc.returncode == 0, proc.stderr
    assert "renamed src/backprop_lab/ -> src/my_lab/" in proc.stdout
    assert "pyproject.toml: " in proc.stdout and "configs/model/mlp.yaml: " in proc.stdout

    left = [str(p) for p in copy.rglob("*") if p.is_file() and "backprop_lab" in p.read_text(errors="ignore")]
    assert left == [] and not (copy / "src" / "backprop_lab").exists()
    assert 'name = "my-lab"' in (copy / "pyproject.toml").read_text()

    monkeypatch.setenv("PYTHONPATH", str(copy / "src"))  # the copy's package, not the installed one
    where = subprocess.run(
        [sys.executable, "-c", "import my_lab.train; print(my_lab.train.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(copy / "src" / "my_lab")

    run_dir = tmp_path / "run"
    overrides = [*QUIET, f"hydra.run.dir={run_dir}", "trainer.max_epochs=2"]
    proc = run_script(copy / "scripts" / "train.py", *overrides, cwd=copy)
    assert proc.returncode == 0, proc.stderr
    assert read_metrics(run_dir)["status"] == "success"
    assert "my_lab.models.classifier.BinaryClassifier" in (run_dir / ".hydra" / "config.yaml").read_text()


def test_bad_names_are_refused_and_nothing_changes(tmp_path):
    copy = copy_project(tmp_path / "fork")
    before = (copy / "pyproject.toml").read_text()
    for name in ["My-Lab", "class", "json", "backprop_lab"]:
        proc = run_script(copy / "scripts" / "rename_project.py", name, cwd=copy)
        assert proc.returncode == 2 and proc.stderr.startswith(f"error: cannot rename backprop_lab to '{name}'")
    assert (copy / "pyproject.toml").read_text() == before and (copy / "src" / "backprop_lab").is_dir()
