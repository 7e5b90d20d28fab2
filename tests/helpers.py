"""Helpers shared by the tests: run the real entry points, compose configs, read run folders back.

`run_script` starts a script in a fresh interpreter (4-6 s of imports on two
cores): keep it for what only a process shows (exit codes through the real
`__main__`, signals, DDP). `run_in_process` runs the same script's Hydra
`main` inside the test process, command line and all: Hydra's run folder,
its callbacks, sweeps and the entry point's error handling, without the
interpreter start-up.
"""

import contextlib
import copy
import functools
import io
import json
import logging
import os
import runpy
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra._internal.config_loader_impl import ConfigLoaderImpl
from hydra._internal.core_plugins.file_config_source import FileConfigSource
from hydra._internal.core_plugins.importlib_resources_config_source import ImportlibResourcesConfigSource
from hydra._internal.hydra import Hydra
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override, OverrideType
from omegaconf import DictConfig

from backprop_lab.runs.lock import LOCK_NAME, release

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
SCRIPTS = ROOT / "scripts"
TRAIN_SCRIPT = SCRIPTS / "train.py"
EVAL_SCRIPT = SCRIPTS / "eval.py"
PREDICT_SCRIPT = SCRIPTS / "predict.py"
COMPARE_SCRIPT = SCRIPTS / "compare_runs.py"

# Keeps output short and runs quiet: no progress bars in test logs.
QUIET = ["~callbacks.progress_bar", "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false"]
# Training and its test and nothing that only watches (configs/debug/quiet.yaml), for claims about what training
# reaches: the watchers never change the weights (tests/test_update_telemetry.py) and cost a third of a short run.
TRAINING_ONLY = ["debug=quiet"]


def _remember_parsed_files(source: type) -> None:
    """Each config file parsed once per test process, a copy handed out each time: Hydra parses them all anew for
    every composition (PyYAML in pure Python, about a quarter of a composition's time); a file is parsed again when
    its size or modification time changes."""
    load = source.load_config
    parsed: dict[tuple, object] = {}

    @functools.wraps(load)
    def load_config(self, config_path: str):
        path = os.path.join(str(self.path), self._normalize_file_name(config_path))
        stat = os.stat(path) if os.path.isfile(path) else None
        key = (source, str(self.path), config_path, stat and (stat.st_mtime_ns, stat.st_size))
        if key not in parsed:
            parsed[key] = load(self, config_path)
        return copy.deepcopy(parsed[key])

    source.load_config = load_config


_remember_parsed_files(FileConfigSource)
_remember_parsed_files(ImportlibResourcesConfigSource)


def _script_env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "HYDRA_FULL_ERROR": "0"}


def run_script(script: Path, *args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run one of scripts/*.py as a user would, in a fresh interpreter."""
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=cwd or ROOT,
        env=_script_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_script(script: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start one of scripts/*.py in a fresh interpreter, with Ctrl-C (SIGINT) at its default as in a terminal.

    A process inherits an ignored SIGINT and Python then leaves it ignored:
    pytest started as a shell's background job (`pytest &`, or a CI runner
    without job control) would pass that on, and the test's Ctrl-C would go
    unnoticed while the run trains to its end. `env` adds to the environment.
    """
    return subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=ROOT,
        env={**_script_env(), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def signal_when(
    proc: subprocess.Popen, ready: Callable[[], bool], signum: int, timeout: float = 120, delay: float = 0.0
) -> subprocess.CompletedProcess:
    """Send `signum` to `proc` once `ready()` holds (then after `delay` s); wait for it to end; its result."""
    try:
        deadline = time.monotonic() + timeout
        while not ready():
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, f"not ready within {timeout} s"
            time.sleep(0.005)
        time.sleep(delay)
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def run_in_process(script: Path, *args: str) -> subprocess.CompletedProcess:
    """Run a script here as `python <script> <args>` would (as `__main__`): returns (exit code, stdout, stderr).

    Hydra's logging set-up (console and the run's train.log; predict's config
    disables every logger) is undone afterwards, so one run's set-up does not
    reach the next test, and the run folder's lock is released as the end of a
    process would release it. Hydra composes a command line twice, the first
    time only to read `hydra.mode`; no config here sets it (tests/test_configs.py
    checks), so that first composition is skipped unless the command line sets it.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    loggers = {name: (lg.disabled, lg.level, lg.propagate) for name, lg in _loggers()}
    argv, full_error = sys.argv, os.environ.get("HYDRA_FULL_ERROR")
    out, err, code = io.StringIO(), io.StringIO(), 0
    sys.argv, os.environ["HYDRA_FULL_ERROR"] = [str(script), *args], "0"
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), _mode_from_the_command_line(args):
            runpy.run_path(str(script), run_name="__main__")  # as __main__: Hydra finds configs/ from the file
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        sys.argv = argv
        if full_error is None:
            os.environ.pop("HYDRA_FULL_ERROR", None)
        else:
            os.environ["HYDRA_FULL_ERROR"] = full_error
        for handler in root.handlers:
            if handler not in handlers:
                handler.close()
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, lg in _loggers():
            lg.disabled, lg.level, lg.propagate = loggers.get(name, (False, lg.level, lg.propagate))
        HydraConfig.instance().cfg = None
        for arg in args:
            if arg.startswith("hydra.run.dir="):
                release(Path(arg.split("=", 1)[1]) / LOCK_NAME, os.getpid())
    return subprocess.CompletedProcess([str(script), *args], code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def _mode_from_the_command_line(args: tuple[str, ...]) -> Iterator[None]:
    """Hydra's `get_mode` answering None (run, or -m's multirun) without composing, as it would here."""
    if any(arg.startswith("hydra.mode=") for arg in args):
        yield
        return
    get_mode = Hydra.get_mode
    Hydra.get_mode = lambda self, config_name, overrides: None
    try:
        yield
    finally:
        Hydra.get_mode = get_mode


def _loggers() -> list[tuple[str, logging.Logger]]:
    return [(name, lg) for name, lg in logging.Logger.manager.loggerDict.items() if isinstance(lg, logging.Logger)]


def compose_train(*overrides: str, output_dir: Path | str = "unused") -> DictConfig:
    """Compose the train config as Hydra would, without running it: a fresh copy, the test may change it.

    Hydra builds a config from the group choices, then sets the plain values
    (`optimizer.lr=0.1`, `seed=3`) on top. A composition costs a fifth of a
    second and most tests differ only in values, so the choices' composition
    is shared and the values are set on a copy, by Hydra's own override parser
    and setter: the same config (tests/test_configs.py checks it). The output
    folder is set last (the config only refers to it by interpolation).
    """
    choices, values = _choices_and_values(["paths.output_dir=unused", *overrides])
    cfg = copy.deepcopy(_composed(*choices))
    ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
    if not any(o.startswith("paths.output_dir=") for o in overrides):
        cfg.paths.output_dir = str(output_dir)
    return cfg


def _choices_and_values(overrides: list[str]) -> tuple[tuple[str, ...], list[Override]]:
    """Split a command line: what Hydra needs to compose (groups, additions, deletions, hydra.*), and plain values."""
    choices, values = [], []
    for line, override in zip(overrides, OverridesParser.create().parse_overrides(overrides), strict=True):
        key = override.key_or_group
        plain = override.type == OverrideType.CHANGE and override.package is None and not override.is_sweep_override()
        if plain and "/" not in key and key.split(".")[0] != "hydra" and ("." in key or not (CONFIGS / key).is_dir()):
            values.append(override)
        else:
            choices.append(line)
    return tuple(choices), values


@functools.lru_cache(maxsize=256)
def _composed(*overrides: str) -> DictConfig:
    """One composition per distinct command line: the configs/ tree does not change while the tests run."""
    hydra = _train_hydra()  # first: setting it up replaces GlobalHydra's instance
    gh = GlobalHydra.instance()
    previous = gh.hydra
    gh.clear()
    gh.initialize(hydra)
    try:
        return compose(config_name="train", overrides=list(overrides))
    finally:
        gh.clear()
        if previous is not None:
            gh.initialize(previous)


@functools.cache
def _train_hydra() -> Hydra:
    """Hydra set up on configs/ once (its search path and plugins), lent to each composition."""
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return GlobalHydra.instance().hydra


def fake_run(run_dir: Path, *overrides: str) -> Path:
    """A run folder as training leaves it (config, checkpoint and its run record), without training: initial weights."""
    import torch
    from omegaconf import OmegaConf

    from backprop_lab.runs.record_writer import RecordInCheckpoint
    from backprop_lab.train import build

    cfg = compose_train(*overrides, output_dir=run_dir)
    datamodule, model, trainer = build(cfg)
    (run_dir / ".hydra").mkdir(parents=True)
    OmegaConf.save(cfg, run_dir / ".hydra" / "config.yaml")
    (run_dir / "checkpoints").mkdir()
    checkpoint = {"state_dict": model.state_dict(), "epoch": 0, "global_step": 0}
    recorder = next(c for c in trainer.callbacks if isinstance(c, RecordInCheckpoint))
    trainer.datamodule = datamodule
    recorder.on_save_checkpoint(trainer, model, checkpoint)
    path = run_dir / "checkpoints" / "last.ckpt"
    torch.save(checkpoint, path)
    return path


def read_metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text())


# A sweep's jobs without the pictures that only watch training (the sweep tests read tables and metrics).
PICTURES_OFF = [
    f"~callbacks.{name}" for name in ("update_telemetry", "histograms", "decision_boundary", "loss_landscape")
]


def table_rows(markdown: str) -> dict[str, dict[str, str]]:
    """A sweep comparison's Markdown table, by job: {job: {column: cell}}."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = [dict(zip(header, (c.strip() for c in line.strip("|").split("|")), strict=True)) for line in lines[2:]]
    return {row["job"]: row for row in rows}
