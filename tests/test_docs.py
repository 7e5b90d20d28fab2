"""README.md and every docs/*.md page say what the code does: fences close, commands compose, examples run in order.

Every `python scripts/train.py ...` line inside a ```bash block is composed
in-process through Hydra's compose API (as `--cfg job` would, in a fraction
of the time) and checked by the train task's own config checks. A line with
a placeholder such as `<timestamp>` belongs in a ```text block, marked as an
example. A new page under docs/ is picked up without touching this file.
"""

import re
import shlex
import signal
import subprocess
from pathlib import Path

import pytest
import torch
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Glob

from backprop_lab.config.checks import check_config

from helpers import (
    CONFIGS,
    QUIET,
    ROOT,
    TRAIN_SCRIPT,
    compose_train,
    read_metrics,
    run_in_process,
    signal_when,
    start_script,
)

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
# GPU, SLURM and torchrun lines compose like any other (composing needs no hardware; `$SLURM_JOB_ID` stays
# a literal). The one line left out takes its value from a shell loop. Each excused line must still appear
# in the docs, so the list cannot outlive the lines it excuses.
NOT_COMPOSED = ["for opt in sgd adam; do python scripts/train.py trainer=ddp_cpu optimizer=$opt; done"]
SHELL_SEPARATORS = {"&&", "||", ";", "|", "&"}
RESUME_MARK = "<!-- docs-test: resume -->"
GENERATED = re.compile(r"<!-- make_docs_figures: ([\w-]+) -->\n(.*?)<!-- end make_docs_figures -->", re.S)
TELEMETRY_OFF = [f"~callbacks.{name}" for name in ("update_telemetry", "histograms", "decision_boundary", "hparams")]


def code_blocks(page: Path) -> list[tuple[str, list[str], str]]:
    """(language, lines, the text just above the fence) for every fenced block; fails on an unclosed fence."""
    blocks, current, lines = [], None, page.read_text().splitlines()
    for number, line in enumerate(lines, start=1):
        match = FENCE.match(line)
        if current is None and match:
            current = (match.group(2), match.group(3).strip(), [], "\n".join(lines[max(0, number - 3) : number - 1]))
            opened_at = number
        elif current is not None and match and match.group(2).startswith(current[0]) and not match.group(3).strip():
            blocks.append((current[1], current[2], current[3]))
            current = None
        elif current is not None:
            current[2].append(line)
    assert current is None, f"{page.name}: the code fence opened at line {opened_at} is never closed"
    return blocks


def bash_lines(page: Path) -> list[str]:
    return [line.strip() for lang, lines, _ in code_blocks(page) if lang in ("bash", "sh", "shell") for line in lines]


def train_lines() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        for line in bash_lines(page):
            if "scripts/train.py" in line and line not in NOT_COMPOSED:
                found.append((page.name, line))
    return found


def train_overrides(line: str) -> list[str]:
    """The overrides a `python scripts/train.py ...` line gives; for a sweep (-m), the first value of each."""
    words = shlex.split(line, comments=True)
    words = words[words.index("scripts/train.py") + 1 :]
    words = words[: next((i for i, w in enumerate(words) if w in SHELL_SEPARATORS), len(words))]
    with_value = {"--cfg", "-c", "--package", "-p"}
    args = [w for i, w in enumerate(words) if not w.startswith("-") and (i == 0 or words[i - 1] not in with_value)]
    overrides = []
    for override in OverridesParser.create().parse_overrides(args):
        if not override.is_sweep_override() or override.key_or_group.startswith("hydra."):
            overrides.append(override.input_line)
            continue
        if isinstance(override.value(), Glob):
            options = sorted(p.stem for p in (CONFIGS / override.key_or_group).glob("*.yaml"))
            first = override.value().filter(options)[0]
        else:
            first = next(iter(override.sweep_string_iterator()))
        overrides.append(f"{override.get_key_element()}={first}")
    return overrides


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_code_fences_balance_and_shell_blocks_hold_no_placeholders(page):
    for line in bash_lines(page):
        assert not re.search(r"<[a-z][\w -]*>", line), (
            f"{page.name}: {line!r} has a placeholder: fill it with a real value, or move the line to a "
            "```text block marked as an example"
        )


def test_the_docs_pages_link_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    for page in PAGES[1:]:
        assert f"(docs/{page.name})" in readme, f"README.md does not link docs/{page.name}"


def test_lines_excused_from_composing_are_still_documented():
    documented = {line for page in PAGES for line in bash_lines(page)}
    for line in NOT_COMPOSED:
        assert line in documented, f"remove {line!r} from NOT_COMPOSED: no page shows it any more"


def documented_override_sets() -> dict[tuple[str, ...], list[tuple[str, str]]]:
    """Each distinct set of overrides the documented commands give, with the (page, line)s that give it."""
    found: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for page, line in train_lines():
        found.setdefault(tuple(train_overrides(line)), []).append((page, line))
    return found


@pytest.mark.parametrize(
    ("overrides", "where"),
    documented_override_sets().items(),
    ids=[f"{p}: {line[:80]}" for (p, line), *_ in documented_override_sets().values()],
)
def test_every_documented_train_command_composes(overrides, where, tmp_path):
    cfg = compose_train(*overrides, output_dir=tmp_path)  # a failure names the first page and line giving these
    check_config(cfg)


def interrupt_after_first_checkpoint(args: list[str], run_dir: Path) -> subprocess.CompletedProcess:
    """Start the documented first command, press Ctrl-C once its first epoch is saved, as a reader would."""
    proc = start_script(ROOT / args[0], *args[1:])
    return signal_when(proc, (run_dir / "checkpoints" / "last.ckpt").exists, signal.SIGINT)


def resume_examples() -> list[tuple[str, list[str]]]:
    return [
        (page.name, [line.strip() for line in lines if line.strip()])
        for page in PAGES
        for lang, lines, above in code_blocks(page)
        if RESUME_MARK in above
    ]


def test_the_resume_example_is_there():
    assert [page for page, _ in resume_examples()] == ["resume.md"]


@pytest.mark.slow
@pytest.mark.parametrize(("page", "commands"), resume_examples(), ids=lambda v: v if isinstance(v, str) else None)
def test_resume_example_runs_in_the_order_written(page, commands, tmp_path):
    """The first command is interrupted once it has saved an epoch; the second continues it to the end.

    This is also the test of Ctrl-C during training (exit 130, the run recorded as interrupted with a
    loadable last epoch); SIGTERM's is in test_resume.py.
    """
    first, resume = (shlex.split(c) for c in commands)
    folder = next(w.split("=", 1)[1] for w in first if w.startswith("hydra.run.dir="))
    run_dir = tmp_path / folder

    def in_tmp(words: list[str]) -> list[str]:
        # The same command, its folders under tmp_path, the console quiet and the telemetry off (which never
        # changes training: tests/test_update_telemetry.py); the resumed run gets a folder we know.
        words = [*(w.replace(f"={folder}", f"={run_dir}") for w in words[1:]), *QUIET, *TELEMETRY_OFF]
        return [*words, f"hydra.run.dir={tmp_path / '2'}"] if any(w.startswith("resume=") for w in words) else words

    interrupted = interrupt_after_first_checkpoint(in_tmp(first), run_dir)
    assert interrupted.returncode == 130, interrupted.stderr
    output = interrupted.stdout + interrupted.stderr
    assert "Resume with: " in output, output[-2000:]
    told = output.split("Resume with: ", 1)[1].split()
    assert told[: len(first) - 1] == first[:-1] and f"resume={run_dir}" in told  # the documented overrides, then ours
    # The record says interrupted, not failed or passed: a loadable last epoch, and no test metrics.
    record = read_metrics(run_dir)
    assert record["status"] == "interrupted" and "Ctrl-C" in record["error"]
    assert record["last_checkpoint"] == str(run_dir / "checkpoints" / "last.ckpt")
    assert torch.load(record["last_checkpoint"], weights_only=True)["epoch"] <= record["epochs"]
    assert "test/acc" not in record["metrics"]
    stopped_at = record["epochs"]

    proc = run_in_process(TRAIN_SCRIPT, *in_tmp(resume)[1:])  # resuming needs no process of its own
    assert proc.returncode == 0, proc.stderr
    resumed = read_metrics(tmp_path / "2")
    assert resumed["status"] == "success" and resumed["loaded_checkpoint"].startswith(str(run_dir))
    max_epochs = next(int(w.split("=")[1]) for w in resume if w.startswith("trainer.max_epochs="))
    assert stopped_at < max_epochs == resumed["epochs"]


def test_generated_tables_are_filled_and_figures_stay_small():
    """What scripts/make_docs_figures.py writes: a table between each pair of markers, PNGs under 300 KB."""
    script = (ROOT / "scripts" / "make_docs_figures.py").read_text()
    for page in PAGES:
        text = page.read_text()
        for name, body in GENERATED.findall(text):
            assert f'"{name}"' in script, f"{page.name}: no part of make_docs_figures.py writes {name!r}"
            assert body.strip(), f"{page.name}: {name!r} is empty: run python scripts/make_docs_figures.py"
        assert text.count("<!-- make_docs_figures:") == text.count("<!-- end make_docs_figures -->"), page.name
    for picture in (ROOT / "docs").glob("*.png"):
        assert picture.stat().st_size < 300 * 1024, f"{picture.name} is over 300 KB"


def test_a_run_thrown_around_by_its_lr_is_quoted_by_order_of_magnitude():
    """A diverging or oscillating run amplifies float rounding: its loss's digits are not reproducible, its size is."""
    body = dict(GENERATED.findall((ROOT / "README.md").read_text()))["optimizer-grid"]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in body.splitlines()[2:] if line]
    thrown = [row for row in rows if row[-1] == "too large"]
    assert thrown and len(thrown) < len(rows)
    for row in thrown:
        assert re.fullmatch(r"~1e-?\d+|nan", row[2]), row
    for row in rows:
        if row[-1] != "too large":
            assert re.fullmatch(r"[\d.e-]+", row[2]), row
