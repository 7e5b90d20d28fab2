"""Rename the package `backprop_lab` everywhere: `python scripts/rename_project.py my_project`.

It renames the folder `src/backprop_lab/` and rewrites every whole-word
`backprop_lab` (imports, `_target_` paths, tests, README) and the
distribution name `backprop-lab` (pyproject) in the repository's text files,
then lists what it changed. It skips `.git`, environments, caches and run
outputs. This script renames itself too, so it works again after a rename.
Stdlib only: it must run while the package is half renamed.

The renamed copy must still pass `ruff check .`: the import order does not
depend on the name (pyproject's isort settings), and a name so long that a
Python line would pass ruff's line-length is refused before anything changes.
"""

import argparse
import importlib.util
import keyword
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

OLD_PACKAGE = "backprop_lab"
OLD_DISTRIBUTION = OLD_PACKAGE.replace("_", "-")
SKIP_DIRS = {".git", ".venv", "venv", "logs", "outputs", "multirun", "build", "dist", "node_modules"}
SKIP_SUFFIXES = (".egg-info", "_cache", "__pycache__")


def check_name(name: str) -> str | None:
    """Why `name` cannot be the new package name, or None if it can."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        return "it must be a Python package name: lower-case letters, digits and _, starting with a letter"
    if keyword.iskeyword(name):
        return "it is a Python keyword"
    if name == OLD_PACKAGE:
        return "it is the current name"
    if name in sys.stdlib_module_names or importlib.util.find_spec(name) is not None:
        return "a module of that name is already importable here (stdlib or installed); imports would clash"
    return None


def _patterns(new: str) -> list[tuple[re.Pattern[str], str]]:
    return [
        # The package name, also where a longer name starts with it (`backprop_lab_optuna`).
        (re.compile(rf"(?<![\w-]){re.escape(OLD_PACKAGE)}(?![A-Za-z0-9])"), new),
        (re.compile(rf"(?<![\w-]){re.escape(OLD_DISTRIBUTION)}(?![\w-])"), new.replace("_", "-")),
    ]


def _count(text: str, new: str) -> int:
    return sum(len(pattern.findall(text)) for pattern, _ in _patterns(new))


def line_length(root: Path) -> int:
    """ruff's line-length from pyproject.toml (ruff's default, 88, if it sets none)."""
    pyproject = root / "pyproject.toml"
    found = re.search(r"^line-length\s*=\s*(\d+)", pyproject.read_text(), re.M) if pyproject.is_file() else None
    return int(found.group(1)) if found else 88


def too_long_lines(root: Path, new: str) -> list[str]:
    """`path:line (N characters)` for each Python line that renaming to `new` would push past the line-length."""
    limit, found = line_length(root), []
    for path in project_files(root):
        if path.suffix != ".py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for pattern, replacement in _patterns(new):
                line = pattern.sub(replacement, line)
            if len(line) > limit:
                found.append(f"{path.relative_to(root)}:{number} ({len(line)} characters)")
    return found


def project_files(root: Path) -> list[Path]:
    """The text files of the project: every file outside skipped folders that decodes as UTF-8."""
    files = []
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if any(p in SKIP_DIRS or p.endswith(SKIP_SUFFIXES) for p in parts) or not path.is_file():
            continue
        try:
            path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary (checkpoints, images): nothing to rename inside
        files.append(path)
    return files


class NothingChanged(Exception):
    """The rename could not be done; every file and folder is as it was."""


def plan(root: Path, new: str) -> tuple[list[tuple[Path, str, str]], list[tuple[Path, Path]]]:
    """(file, old text, new text) for each file to rewrite, and (folder, new folder) for each folder to rename."""
    patterns = _patterns(new)
    files = []
    for path in project_files(root):
        old = path.read_text(encoding="utf-8")
        text = old
        for pattern, replacement in patterns:
            text = pattern.sub(replacement, text)
        if text != old:
            files.append((path, old, text))
    # The package folder, and folders named after it such as src/hydra_plugins/backprop_lab_optuna/.
    found = [p for p in (root / "src").rglob(f"{OLD_PACKAGE}*") if p.is_dir() and "__pycache__" not in p.parts]
    deepest_first = sorted(found, key=lambda p: len(p.parts), reverse=True)
    return files, [(folder, folder.with_name(new + folder.name[len(OLD_PACKAGE) :])) for folder in deepest_first]


def _staged_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.renaming")


def _write_staged(path: Path, text: str) -> Path:
    """`text` in a hidden file next to `path`, with its permissions: swapped in by one rename later."""
    staged = _staged_name(path)
    staged.write_text(text, encoding="utf-8")
    shutil.copymode(path, staged)
    return staged


def _stage(files: list[tuple[Path, str, str]], folders: list[tuple[Path, Path]]) -> list[Path]:
    """Prove every change can be written before making one: each new text is written next to its file."""
    staged: list[Path] = []
    try:
        for path, _, text in files:
            with path.open("r+b"):  # the file itself must be writable, not only its folder
                pass
            staged.append(_write_staged(path, text))
        for folder, _ in folders:
            probe = folder.parent / f".{folder.name}.renaming"
            probe.mkdir()
            probe.rmdir()
    except OSError as err:
        for path in staged:
            path.unlink(missing_ok=True)
        raise NothingChanged(f"cannot write {err.filename}: {err.strerror or err}") from err
    return staged


def _commit(files: list[tuple[Path, str, str]], staged: list[Path], folders: list[tuple[Path, Path]]) -> None:
    """Swap every staged file in and rename the folders; on any failure, put back what was already changed."""
    replaced: list[tuple[Path, str]] = []
    renamed: list[tuple[Path, Path]] = []
    try:
        for (path, old, _), ready in zip(files, staged, strict=True):
            os.replace(ready, path)
            replaced.append((path, old))
        for folder, target in folders:
            folder.rename(target)
            renamed.append((folder, target))
    except OSError as err:
        for folder, target in reversed(renamed):
            target.rename(folder)
        for path, old in reversed(replaced):
            os.replace(_write_staged(path, old), path)
        for ready in staged:
            ready.unlink(missing_ok=True)
        raise NothingChanged(f"cannot write {err.filename}: {err.strerror or err}") from err


def rename(root: Path, new: str, dry_run: bool = False) -> list[str]:
    """Rewrite the files and rename the package folder, all or nothing; return one line per change."""
    files, folders = plan(root, new)
    changes = [
        f"{path.relative_to(root)}: {_count(old, new)} replacement{'s' * (_count(old, new) > 1)}"
        for path, old, _ in files
    ]
    changes += [f"renamed {folder.relative_to(root)}/ -> {target.relative_to(root)}/" for folder, target in folders]
    if not dry_run:
        _commit(files, _stage(files, folders), folders)
    return changes


def reformat(root: Path) -> str:
    """Re-wrap the renamed code as CI's `ruff format --check` wants it: a longer name moves line breaks."""
    try:
        proc = subprocess.run([sys.executable, "-m", "ruff", "format", "."], cwd=root, capture_output=True, text=True)
    except OSError as err:
        return f"Not reformatted ({err}): run `ruff format .` before committing."
    if proc.returncode != 0:
        return "Not reformatted (ruff is not installed here): run `ruff format .` before committing."
    return f"ruff format: {proc.stdout.strip()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("new_name", help="the new package name, e.g. my_project (the distribution becomes my-project)")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1], help="repository root")
    parser.add_argument("--dry-run", action="store_true", help="list what would change, change nothing")
    args = parser.parse_args(argv)

    root = args.root.resolve()
    problem = check_name(args.new_name)
    if problem is None and not (root / "src" / OLD_PACKAGE).is_dir():
        problem = f"there is no src/{OLD_PACKAGE}/ under {root} to rename (already renamed? pass --root?)"
    if problem is None and (root / "src" / args.new_name).exists():
        problem = f"src/{args.new_name}/ already exists"
    if problem is None and len(args.new_name) > len(OLD_PACKAGE):
        long_lines = too_long_lines(root, args.new_name)
        if long_lines:
            problem = (
                f"it is {len(args.new_name)} characters long, and {len(long_lines)} Python line(s) would pass ruff's "
                f"line-length of {line_length(root)} (pyproject.toml), so `ruff check .` would fail, e.g. "
                f"{', '.join(long_lines[:3])}; choose a shorter name"
            )
    if problem:
        print(f"error: cannot rename {OLD_PACKAGE} to {args.new_name!r}: {problem}.", file=sys.stderr)
        return 2

    try:
        changes = rename(root, args.new_name, dry_run=args.dry_run)
    except NothingChanged as err:
        print(
            f"error: cannot rename {OLD_PACKAGE} to {args.new_name!r}: {err}. Nothing was changed: every file and "
            "folder is as it was. Make it writable (or free space) and run the command again.",
            file=sys.stderr,
        )
        return 2
    done = ("Would rewrite", "rename") if args.dry_run else ("Rewrote", "renamed")
    renamed = sum(line.startswith("renamed ") for line in changes)
    print(f"{done[0]} {len(changes) - renamed} files and {done[1]} {renamed} folders in {root}:")
    print("\n".join(f"  {line}" for line in changes))
    if not args.dry_run:
        print(reformat(root))
        reinstall = f'pip uninstall -y {OLD_DISTRIBUTION} && pip install -c constraints.txt -e ".[test]"'
        print(f"Next: reinstall so the new name is importable: {reinstall}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
