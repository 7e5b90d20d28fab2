"""The README's commands are the ones CI runs: a newcomer follows the README alone."""

import re

from helpers import ROOT


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_ci_runs_the_readme_test_command():
    test_command = next(c for c in readme_commands() if "pytest" in c and "pip install" in c)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_readme_setup_command_trains_the_default_config():
    setup = next(c for c in readme_commands() if "pip install" in c and "pytest" not in c)
    assert setup.endswith("python scripts/train.py")
    assert "pip install torch==2.13.0" in setup


def test_both_readme_install_commands_use_the_constraints():
    installs = [c for c in readme_commands() if "pip install -c" in c or "pip install -e" in c]
    assert len(installs) == 2 and all("pip install -c constraints.txt -e " in c for c in installs)
