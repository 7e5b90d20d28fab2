"""Reading runs back: every job of a multirun folder becomes one row of a comparison.

Each job folder holds `.hydra/config.yaml` (what ran), `metrics.json` (how it
ended) and TensorBoard event files (the curves). The curves are read with
tensorboard's own `EventAccumulator`, so any run of this template compares,
whatever its data, model or sweep.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from omegaconf import DictConfig, ListConfig, OmegaConf
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from backprop_lab.analysis.verdicts import RULES as VERDICT_RULES
from backprop_lab.analysis.verdicts import loss_behaviour, lr_regime
from backprop_lab.errors import NoTaggedRuns, RunFolderError
from backprop_lab.runs.atomic import write_text_atomic
from backprop_lab.runs.job_folders import job_dirs, job_order, load_summary, load_yaml
from backprop_lab.runs.summary import describe_status

LOSS_TAG, ACC_TAG, TEST_ACC_TAG = "train/loss", "val/acc", "test/acc"

# Printed under the table.
RULES = (
    f"The loss is `{LOSS_TAG}` per epoch; solved means `{ACC_TAG}` reached 1.0. {VERDICT_RULES} "
    f"**first epoch acc = 1.0**: the first epoch (Lightning's count, from 0) at whose end `{ACC_TAG}` was 1.0."
)

Series = list[tuple[int, float]]  # (epoch, value)


@dataclass
class JobResult:
    """One job of a sweep, as the comparison shows it."""

    name: str
    optimizer: str
    lr: float | None
    status: str
    overrides: dict[str, str] = field(default_factory=dict)
    train_loss: Series = field(default_factory=list)
    accuracy: Series = field(default_factory=list)
    final_train_loss: float | None = None
    test_acc: float | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def first_perfect_epoch(self) -> int | None:
        return next((epoch for epoch, value in self.accuracy if value >= 1.0), None)

    @property
    def solved(self) -> bool:
        return self.first_perfect_epoch is not None

    @property
    def behaviour(self) -> str:
        return loss_behaviour([value for _, value in self.train_loss], self.solved)

    @property
    def regime(self) -> str:
        return lr_regime(self.behaviour, self.solved)


def read_scalars(job_dir: Path) -> dict[str, Series]:
    """Every scalar tag of a job's event files, with Lightning's `epoch` scalar turned into the x axis."""
    raw: dict[str, list[tuple[int, float]]] = {}
    for events_dir in sorted({p.parent for p in job_dir.rglob("events.out.tfevents.*")}):
        events = EventAccumulator(str(events_dir), size_guidance={"scalars": 0})  # 0: keep every point
        events.Reload()
        for tag in events.Tags()["scalars"]:
            raw.setdefault(tag, []).extend((e.step, e.value) for e in events.Scalars(tag))
    # Lightning logs at the global step; its `epoch` scalar maps those steps to epochs.
    epoch_at = {step: int(value) for step, value in raw.pop("epoch", [])}
    return {tag: [(epoch_at.get(step, step), value) for step, value in points] for tag, points in raw.items()}


def _select(cfg: DictConfig, key: str) -> object:
    return OmegaConf.select(cfg, key, default=None)


def read_job(job_dir: Path) -> JobResult:
    """A job folder's config, status and curves."""
    cfg = load_yaml(job_dir, "config.yaml")
    overrides = load_yaml(job_dir, "overrides.yaml") if (job_dir / ".hydra" / "overrides.yaml").is_file() else []
    summary = load_summary(job_dir)
    final = summary.get("metrics", {})
    scalars = read_scalars(job_dir)
    train_loss = scalars.get(LOSS_TAG, [])
    test_acc = scalars.get(TEST_ACC_TAG, [])
    target = _select(cfg, "optimizer._target_")
    lr = _select(cfg, "optimizer.lr")
    tags = _select(cfg, "tags")
    return JobResult(
        name=job_dir.name,
        optimizer=str(target).rsplit(".", 1)[-1] if target else "?",
        lr=float(lr) if isinstance(lr, (int, float)) else None,
        status=describe_status(summary),  # a record still saying `running`: running, or killed
        overrides=dict(str(o).split("=", 1) for o in overrides if "=" in str(o)),
        train_loss=train_loss,
        accuracy=scalars.get(ACC_TAG, []),
        final_train_loss=train_loss[-1][1] if train_loss else final.get(LOSS_TAG),
        test_acc=test_acc[-1][1] if test_acc else final.get(TEST_ACC_TAG),
        tags=[str(tag) for tag in tags] if isinstance(tags, ListConfig) else [],
    )


def read_sweep(sweep_dir: Path, tags: Sequence[str] = ()) -> list[JobResult]:
    """Every job under a multirun folder (each a subfolder with `.hydra/config.yaml`), in job order.

    With `tags`, only the jobs whose config's `tags` hold all of them. The
    folder may also be one of single runs, such as logs/train/runs.
    """
    jobs = job_dirs(sweep_dir)
    if not jobs:
        raise RunFolderError(
            f"{sweep_dir} holds no job folders (subfolders with .hydra/config.yaml): pass the folder of a "
            "multirun, e.g. logs/train/multiruns/<timestamp>."
        )
    results = [read_job(job) for job in jobs]
    kept = [r for r in results if set(tags) <= set(r.tags)]
    if not kept:
        found = sorted({tag for r in results for tag in r.tags})
        raise NoTaggedRuns(
            f"No job in {sweep_dir} has the tag(s) {', '.join(tags)}; the tags its {len(results)} jobs carry: "
            f"{', '.join(found) or 'none'}. Run without --tag, or tag runs with 'tags=[NAME]' when training."
        )
    return kept


def varying_keys(results: Sequence[JobResult]) -> list[str]:
    """Overrides that differ between jobs, other than the optimizer and lr (shown in their own columns)."""
    keys = sorted({key for r in results for key in r.overrides} - {"optimizer", "optimizer.lr"})
    return [k for k in keys if len({r.overrides.get(k) for r in results}) > 1]


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def markdown_table(results: Sequence[JobResult]) -> str:
    """One row per job, sorted by optimizer and lr, with the verdict rules underneath."""
    extra = varying_keys(results)
    show_tags = any(r.tags for r in results)
    header = [
        "job",
        "optimizer",
        "lr",
        *extra,
        *(["tags"] if show_tags else []),
        "status",
        "final train loss",
        "test acc",
        "first epoch acc = 1.0",
        "loss",
        "lr regime",
    ]
    rows = []
    for r in sorted(results, key=lambda r: (r.optimizer, r.lr is None, r.lr or 0.0, job_order(Path(r.name)))):
        perfect = r.first_perfect_epoch
        rows.append(
            [
                r.name,
                r.optimizer,
                _fmt(r.lr, "g"),
                *(r.overrides.get(k, "-") for k in extra),
                *([",".join(r.tags) or "-"] if show_tags else []),
                r.status,
                _fmt(r.final_train_loss, ".4g"),
                _fmt(r.test_acc, ".2f"),
                "never" if perfect is None and r.accuracy else _fmt(perfect, "d"),
                r.behaviour,
                r.regime,
            ]
        )
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n\n" + RULES + "\n"


def write_comparison(sweep_dir: Path, tags: Sequence[str] = ()) -> tuple[Path, Path]:
    """Write `comparison.md` (the table) and `comparison.png` (the loss curves) into the multirun folder."""
    from backprop_lab.analysis.plots import plot_loss_curves  # matplotlib only when a picture is asked

    sweep_dir = Path(sweep_dir)
    results = read_sweep(sweep_dir, tags)
    table = sweep_dir / "comparison.md"
    tagged = f" tagged {', '.join(tags)}" if tags else ""
    heading = f"# Comparison of {len(results)} jobs{tagged} in {sweep_dir}\n\n"
    write_text_atomic(table, heading + markdown_table(results))
    picture = sweep_dir / "comparison.png"
    plot_loss_curves(results, picture)
    return table, picture
