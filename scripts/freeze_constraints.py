"""Write constraints.txt: the exact versions of everything installed in this environment, the project left out.

Run it in the environment the suite was just green in (`pip install -e ".[test]"`):

    python scripts/freeze_constraints.py

pyproject.toml keeps open ranges (a fork may move on); the README's commands,
`.ci/run` and `.github/workflows/ci.yml` install with `-c constraints.txt`, so
CI tests the versions that were green here, not whatever is newest next month.
A local build label (`torch==2.13.0+cpu`) is dropped: the pin then matches
the CPU and the CUDA build of that version alike.
"""

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = (
    "# The exact versions the test suite was green with (pip freeze, minus the project itself).\n"
    "# Regenerate after upgrading: python scripts/freeze_constraints.py (see its docstring).\n"
)


def project_name(pyproject: Path) -> str:
    """The distribution name pyproject.toml declares, normalised (`backprop-lab`)."""
    found = re.search(r'^name\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.M)
    if not found:
        raise SystemExit(f"error: {pyproject} declares no project name.")
    return normalised(found.group(1))


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def constraint_lines(frozen: list[str], project: str) -> list[str]:
    """`name==version` pins from `pip freeze` lines: no editable or direct installs, no project, no local label."""
    pins = []
    for line in frozen:
        found = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s+;]+)(\+\S+)?", line.strip())
        if found and normalised(found.group(1)) != project:
            pins.append(f"{found.group(1)}=={found.group(2)}")
    return sorted(pins, key=lambda pin: normalised(pin.split("==")[0]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=ROOT / "constraints.txt", help="where to write the pins")
    args = parser.parse_args(argv)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        print(f"error: pip freeze failed: {proc.stderr.strip()}", file=sys.stderr)
        return 2
    pins = constraint_lines(proc.stdout.splitlines(), project_name(ROOT / "pyproject.toml"))
    args.output.write_text(HEADER + "".join(f"{pin}\n" for pin in pins), encoding="utf-8")
    print(f"Wrote {len(pins)} pins to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
