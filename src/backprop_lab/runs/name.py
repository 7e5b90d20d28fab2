"""A run's readable name, from what was chosen on the command line: `optimizer=adam,optimizer.lr=0.05,seed=1`.

TensorBoard names a run by the folder of its event files, relative to
`--logdir`. A single run's events go to `tensorboard/<run name>/` inside its
folder (`${tensorboard_folder:}` in `configs/logger/tensorboard.yaml`); a
sweep's job folders are themselves named by what the sweep varies
(`hydra.sweep.subdir: ${run_name:}` in `configs/hydra/default.yaml`) and hold
their events directly, so that `tensorboard --logdir <sweep folder>` lists
`optimizer=sgd` and `optimizer=adam` and nothing else. A job of a sweep is
named by the keys the sweep varies (`-m optimizer=sgd,adam seed=1` names its
jobs `optimizer=sgd` and `optimizer=adam`); a single run by all its
overrides; a run with none `defaults`. An Optuna trial's folder starts with
its number (`trial=007,optimizer.lr=0.0123`): a study may try the same
values twice.

`${chosen_keys:}` gives the keys those overrides set, so the HParams tab can
show the columns a sweep varies first (`callbacks/hparams.py`).
`${trial_name:}` names a sweep job's row in the HParams tab:
`<sweep folder> #007 optimizer=sgd,optimizer.lr=0.1`, whole, in the sweep's
order when the table sorts its rows by name (empty outside a sweep: a single
run's row is named by its folder).

Overrides that choose no hyperparameter (output paths, resume, progress bars)
are left out, so a resumed run keeps the name of the run it continues.
"""

import functools
import hashlib
import re
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

DEFAULT_NAME = "defaults"
# Keys (or key prefixes) that say where or how a run is shown, not what it trains.
IGNORED = (
    "paths.", "resume", "ckpt_path", "hydra.", "trainer.enable_", "callbacks.progress_bar", "~callbacks.progress_bar",
)  # fmt: skip
UNSAFE = re.compile(r"[^A-Za-z0-9._=,+\-\[\]~]")
MAX_LENGTH = 120  # folder names stay well under file systems' 255 bytes, and legible


def run_name(overrides: list[str]) -> str:
    """A folder-safe name from Hydra task overrides; `defaults` when none names a hyperparameter."""
    kept = [o for o in overrides if not o.lstrip("+").startswith(IGNORED)]
    name = UNSAFE.sub("_", ",".join(kept)).strip(".") or DEFAULT_NAME
    if len(name) > MAX_LENGTH:  # keep it unique: a hash of the whole text after a readable start
        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        name = f"{name[: MAX_LENGTH - 9]}~{digest}"
    return name


def chosen_keys(overrides: list[str]) -> list[str]:
    """The config keys the overrides set (`optimizer`, `optimizer.lr`, ...), without the ignored ones."""
    keys = (o.lstrip("+~").split("=", 1)[0] for o in overrides if not o.lstrip("+").startswith(IGNORED))
    return list(dict.fromkeys(keys))


def swept_keys(sweep_task: list[str], sweeper_params: list[str]) -> set[str]:
    """The keys a sweep varies: those with several values on its command line, and the sweeper's `params`."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    keys = set(sweeper_params)
    try:
        parsed = OverridesParser.create().parse_overrides([str(o) for o in sweep_task])
    except HydraException:
        return keys
    return keys | {o.key_or_group for o in parsed if o.is_sweep_override()}


def same_named_values(sweep_task: list[str]) -> tuple[str, str, str] | None:
    """Two values of one swept key that would give their jobs the same folder: (first, second, folder name).

    A sweep's job folder is named by what it varies, so `seed=1,1` (or two
    paths that differ only in characters a folder name cannot hold) would have
    two jobs write one folder. None when every value names its own job.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        parsed = OverridesParser.create().parse_overrides([str(o) for o in sweep_task])
    except HydraException:
        return None
    for override in parsed:
        if not override.is_discrete_sweep() or override.value_type.name == "GLOB_CHOICE_SWEEP":
            continue  # a glob is expanded against the config groups, which only Hydra's loader knows
        key = override.get_key_element()
        seen: dict[str, str] = {}
        for value in override.sweep_string_iterator():
            name = run_name([f"{key}={value}"])
            if name in seen:
                return f"{key}={seen[name]}", f"{key}={value}", name
            seen[name] = value
    return None


def _sweep(hydra_cfg: DictConfig) -> set[str]:
    """In a multirun job, the keys its sweep varies (read from the sweep's `multirun.yaml`); else none."""
    from hydra.types import RunMode

    if hydra_cfg.mode != RunMode.MULTIRUN:
        return set()
    params = tuple(hydra_cfg.sweeper.get("params") or {})
    multirun = Path(hydra_cfg.sweep.dir) / "multirun.yaml"
    try:
        stat = multirun.stat()
    except OSError:
        return swept_keys([], params)
    return set(_swept_in_file(str(multirun), stat.st_mtime_ns, stat.st_size, params))


@functools.lru_cache(maxsize=8)
def _swept_in_file(path: str, mtime_ns: int, size: int, params: tuple[str, ...]) -> frozenset[str]:
    """`swept_keys` of one `multirun.yaml`, read and parsed once per version of the file, not at every `${run_name:}`.

    A job resolves the name several times (logger, callbacks, record) and every
    job of a sweep reads the same file; the file's time and size in the key make
    a rewritten file read again.
    """
    try:
        task = list(OmegaConf.load(path).hydra.overrides.task)
    except Exception:  # an unreadable multirun.yaml only costs the shorter name  # noqa: BLE001
        task = []
    return frozenset(swept_keys(task, list(params)))


def _task_overrides() -> list[str]:
    """The running job's overrides; in a sweep only those of the keys the sweep varies (if it can tell)."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    hydra_cfg = HydraConfig.get()
    overrides = [str(o) for o in hydra_cfg.overrides.task]
    varied = _sweep(hydra_cfg)
    chosen = [o for o in overrides if o.lstrip("+~").split("=", 1)[0] in varied]
    return chosen or overrides


def current_run_name() -> str:
    """The name of the running Hydra job; `defaults` outside one (e.g. a config composed in a test)."""
    return run_name(_task_overrides())


def current_chosen_keys() -> str:
    """The keys the running Hydra job's overrides set, comma-separated (a config value); empty outside a job."""
    return ",".join(chosen_keys(_task_overrides()))


def current_tensorboard_folder() -> str:
    """Where the running job's event files go in its folder: `tensorboard/<run name>`; in a sweep, the job folder
    itself (empty), which is already named by what the sweep varies."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        return ""
    return f"tensorboard/{current_run_name()}"


def trial_folder(number: int, overrides: list[str]) -> str:
    """An Optuna trial's job folder: its zero-padded number (so folders sort in trial order), then its values."""
    return f"trial={number:03d},{run_name(overrides)}"


def trial_name(sweep_folder: str, job: int, name: str) -> str:
    """A sweep job's HParams row: its sweep's folder, zero-padded job number (rows sort in sweep order), name."""
    return f"{sweep_folder} #{job:03d} {name}"


def current_trial_name() -> str:
    """The running sweep job's `trial_name`; empty for a single run or outside Hydra."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized() or HydraConfig.get().mode != RunMode.MULTIRUN:
        return ""
    hydra_cfg = HydraConfig.get()
    return trial_name(Path(hydra_cfg.sweep.dir).name, int(hydra_cfg.job.num), current_run_name())


def register_resolver() -> None:
    """Make the resolvers above (`${run_name:}`, ...) usable in configs; safe to call more than once."""
    resolvers = (
        ("run_name", current_run_name),
        ("chosen_keys", current_chosen_keys),
        ("trial_name", current_trial_name),
        ("tensorboard_folder", current_tensorboard_folder),
    )
    for name, function in resolvers:
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, function, use_cache=False)


def tensorboard_dir(run_dir: Path | str) -> Path:
    """The folder of a run's TensorBoard event files: `<run>/tensorboard/<run name>/`, or a sweep job's own folder.

    `<run>/tensorboard/` when the run wrote no events (there is nothing to read).
    """
    run_dir = Path(run_dir)
    root = run_dir / "tensorboard"
    if any(run_dir.glob("events.out.tfevents.*")):
        return run_dir
    folders = sorted({p.parent for p in root.glob("*/events.out.tfevents.*")})
    return folders[0] if folders else root
