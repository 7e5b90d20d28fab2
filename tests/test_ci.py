"""A fork's CI is green from its first push: a valid GitHub workflow runs the README's tests on the pinned versions."""

import importlib.metadata
import importlib.util
import re
import subprocess
import sys

import yaml
from packaging.requirements import Requirement

from helpers import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
CONSTRAINTS = ROOT / "constraints.txt"


def check_workflow(path) -> subprocess.CompletedProcess:
    """check-jsonschema with the GitHub workflow schema it ships: no network."""
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)]
    return subprocess.run(command, capture_output=True, text=True)


def pins() -> dict[str, str]:
    lines = [line for line in CONSTRAINTS.read_text().splitlines() if line and not line.startswith("#")]
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*==[^\s+]+", line) for line in lines), lines
    return {normalised(line.split("==")[0]): line.split("==")[1] for line in lines}


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_workflow_passes_githubs_schema_and_a_broken_one_does_not(tmp_path):
    proc = check_workflow(WORKFLOW)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    broken = yaml.safe_load(WORKFLOW.read_text())
    del broken["jobs"]["test"]["runs-on"]
    (tmp_path / "ci.yml").write_text(yaml.safe_dump(broken))
    assert check_workflow(tmp_path / "ci.yml").returncode != 0


def test_the_workflow_runs_the_readme_tests_on_cpu_on_push_and_pull_request():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the bare key `on` as true
    assert {"push", "pull_request"} <= set(triggers)
    steps = workflow["jobs"]["test"]["steps"]
    run = next(step for step in steps if "run" in step)
    assert run["run"] == ".ci/run"  # which runs the README's test command (tests/test_readme.py)
    assert run["env"]["PIP_EXTRA_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"


def test_constraints_pin_every_dependency_inside_pyprojects_ranges():
    pinned = pins()
    text = (ROOT / "pyproject.toml").read_text()
    project = text[text.index("dependencies = [") : text.index("[tool.")]  # [project] and its extras
    requirements = re.findall(r'"([A-Za-z][^"]*)"', project)
    checked = 0
    for line in requirements:
        requirement = Requirement(line)
        name = normalised(requirement.name)
        if name in {"backprop-lab", normalised(re.search(r'^name = "(.+)"', text, re.M).group(1))}:
            continue
        if name in {"wandb", "pre-commit"}:  # extras CI does not install (see pyproject's test extra)
            continue
        assert name in pinned, f"constraints.txt pins no version of {name}"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (line, pinned[name])
        checked += 1
    assert checked >= 15 and pinned["torch"] == "2.13.0"


def test_constraints_are_the_versions_installed_here():
    """What the suite is green with here is what CI installs: regenerate after an upgrade."""
    differ = []
    for name, version in pins().items():
        try:
            installed = importlib.metadata.version(name).split("+")[0]
        except importlib.metadata.PackageNotFoundError:
            continue
        if installed != version:
            differ.append(f"{name}: pinned {version}, installed {installed}")
    assert differ == [], (
        "run python scripts/freeze_constraints.py after a green suite, or install with -c constraints.txt"
    )


def test_the_freeze_script_keeps_exact_pins_and_leaves_the_project_out():
    spec = importlib.util.spec_from_file_location("freeze_constraints", ROOT / "scripts" / "freeze_constraints.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    frozen = [
        "# Editable install",
        "-e /src/x",
        "torch==2.13.0+cpu",
        "backprop_lab==0.1.0",
        "mylib @ file:///x",
        "Bar==1",
    ]
    assert script.constraint_lines(frozen, "backprop-lab") == ["Bar==1", "torch==2.13.0"]
    assert script.project_name(ROOT / "pyproject.toml") == "backprop-lab"
