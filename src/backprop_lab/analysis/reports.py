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
from backprop_lab.analysis.verdicts import loss_behaviour, loss_drop, lr_regime, sweep_start
from backprop_lab.errors import NoTaggedRuns, RunFolderError
from backprop_lab.runs.atomic import write_text_atomic
from backprop_lab.runs.job_folders import job_label, load_summary, load_yaml, numbered_job_dirs
from backprop_lab.runs.summary import describe_status

LOSS_TAG, ACC_TAG, TEST_ACC_TAG = "train/loss", "val/acc", "test/acc"
TEST_PREFIX = "test/"

# Printed under the table.
RULES = (
    f"The loss is `{LOSS_TAG}` per epoch. {VERDICT_RULES} "
    f"**first epoch acc = 1.0** (classification): the first epoch (Lightning's count, from 0) at whose end "
    f"`{ACC_TAG}` was 1.0."
)

Series = list[tuple[int, float]]  # (epoch, value)


@dataclass
class JobResult:
    """One job of a sweep, as the comparison shows it."""

    name: str  # its folder's name: what the sweep varies
    optimizer: str
    lr: float | None
    status: str
    overrides: dict[str, str] = field(default_factory=dict)
    train_loss: Series = field(default_factory=list)
    accuracy: Series = field(default_factory=list)
    final_train_loss: float | None = None
    test_acc: float | None = None
    tags: list[str] = field(default_factory=list)
    test_metrics: dict[str, float] = field(default_factory=dict)  # every `test/*` value, any task
    start: float | None = None  # the comparison's usual first loss (`verdicts.sweep_start`), set by `read_sweep`
    number: int | None = None  # its number in the sweep (`hydra.job.num`)

    @property
    def first_perfect_epoch(self) -> int | None:
        return next((epoch for epoch, value in self.accuracy if value >= 1.0), None)

    @property
    def solved(self) -> bool:
        return self.first_perfect_epoch is not None

    @property
    def losses(self) -> list[float]:
        return [value for _, value in self.train_loss]

    @property
    def behaviour(self) -> str:
        return loss_behaviour(self.losses, self.start)

    @property
    def drop(self) -> float | None:
        return loss_drop(self.losses, self.start)

    def regime(self, best: float | None) -> str:
        """The lr regime, `best` being the largest drop in the comparison (`sweep_best_drop`)."""
        return lr_regime(self.behaviour, self.drop, best)


def sweep_best_drop(results: Sequence[JobResult]) -> float | None:
    """The largest loss drop of any job: what "good" is measured against."""
    return max((r.drop for r in results if r.drop is not None), default=None)


def with_sweep_start(results: list[JobResult]) -> list[JobResult]:
    """The results, each told the comparison's usual first loss (see `verdicts.RULES`)."""
    start = sweep_start([r.losses for r in results])
    for r in results:
        r.start = start
    return results


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


def read_job(job_dir: Path, number: int | None = None) -> JobResult:
    """A job folder's config, status and curves; `number`: its place in its sweep, when the caller knows it."""
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
        test_metrics=test_values(scalars, final),
        tags=[str(tag) for tag in tags] if isinstance(tags, ListConfig) else [],
        number=number,
    )


def test_values(scalars: dict[str, Series], final: dict) -> dict[str, float]:
    """Every `test/*` metric's last value: from the event files, else from metrics.json."""
    values = {tag: points[-1][1] for tag, points in scalars.items() if tag.startswith(TEST_PREFIX) and points}
    values |= {k: float(v) for k, v in final.items() if k.startswith(TEST_PREFIX) and k not in values and _number(v)}
    return values


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def test_columns(results: Sequence[JobResult]) -> list[str]:
    """The test metrics any job has, `test/loss` and `test/acc` first."""
    names = {name for r in results for name in r.test_metrics}
    return sorted(names, key=lambda n: (n not in ("test/loss", TEST_ACC_TAG), n != "test/loss", n))


def read_sweep(sweep_dir: Path, tags: Sequence[str] = ()) -> list[JobResult]:
    """Every job under a multirun folder (each a subfolder with `.hydra/config.yaml`), in job order.

    With `tags`, only the jobs whose config's `tags` hold all of them. The
    folder may also be one of single runs, such as logs/train/runs.
    """
    jobs = numbered_job_dirs(sweep_dir)
    if not jobs:
        raise RunFolderError(
            f"{sweep_dir} holds no job folders (subfolders with .hydra/config.yaml): pass the folder of a "
            "multirun, e.g. logs/train/multiruns/<timestamp>."
        )
    results = [read_job(job, number) for job, number in jobs]
    kept = [r for r in results if set(tags) <= set(r.tags)]
    if not kept:
        found = sorted({tag for r in results for tag in r.tags})
        raise NoTaggedRuns(
            f"No job in {sweep_dir} has the tag(s) {', '.join(tags)}; the tags its {len(results)} jobs carry: "
            f"{', '.join(found) or 'none'}. Run without --tag, or tag runs with 'tags=[NAME]' when training."
        )
    return with_sweep_start(kept)


def varying_keys(results: Sequence[JobResult]) -> list[str]:
    """Overrides that differ between jobs, other than the optimizer and lr (shown in their own columns)."""
    keys = sorted({key for r in results for key in r.overrides} - {"optimizer", "optimizer.lr"})
    return [k for k in keys if len({r.overrides.get(k) for r in results}) > 1]


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _row_order(r: JobResult) -> tuple:
    """Rows by optimizer, then lr, then the job's number in the sweep."""
    return (r.optimizer, r.lr is None, r.lr or 0.0, r.number is None, r.number or 0, r.name)


def markdown_table(results: Sequence[JobResult]) -> str:
    """One row per job, sorted by optimizer, lr and job, with every test metric and the verdict rules underneath."""
    extra = varying_keys(results)
    metrics = test_columns(results)
    show_tags = any(r.tags for r in results)
    show_solved = any(r.accuracy for r in results)
    best = sweep_best_drop(results)
    header = [
        "job", "optimizer", "lr", *extra, *(["tags"] if show_tags else []), "status", "final train loss",
        *metrics, *(["first epoch acc = 1.0"] if show_solved else []), "drop", "loss", "lr regime",
    ]  # fmt: skip
    rows = []
    for r in sorted(results, key=_row_order):
        perfect = r.first_perfect_epoch
        rows.append(
            [
                job_label(r.name, r.number), r.optimizer, _fmt(r.lr, "g"), *(r.overrides.get(k, "-") for k in extra),
                *([",".join(r.tags) or "-"] if show_tags else []), r.status, _fmt(r.final_train_loss, ".4g"),
                *(_fmt(r.test_metrics.get(m), ".4g") for m in metrics),
                *(["never" if perfect is None and r.accuracy else _fmt(perfect, "d")] if show_solved else []),
                _fmt(None if r.drop is None else 100 * r.drop, ".1f") + ("%" if r.drop is not None else ""),
                r.behaviour, r.regime(best),
            ]
        )  # fmt: skip
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n\n" + RULES + "\n"


def write_comparison(sweep_dir: Path, tags: Sequence[str] = ()) -> tuple[Path, Path]:
    """Write `comparison.md` (the table) and `comparison.png` (the loss curves) into the multirun folder."""
    # matplotlib only when a picture is asked for
    from backprop_lab.analysis.plots import plot_loss_curves
    from backprop_lab.analysis.seed_groups import seed_table

    sweep_dir = Path(sweep_dir)
    results = read_sweep(sweep_dir, tags)
    table = sweep_dir / "comparison.md"
    tagged = f" tagged {', '.join(tags)}" if tags else ""
    heading = f"# Comparison of {len(results)} jobs{tagged} in {sweep_dir}\n\n"
    groups = seed_table(results)
    seeds = f"## Over seeds\n\n{groups}\n## Every job\n\n" if groups else ""
    write_text_atomic(table, heading + seeds + markdown_table(results))
    picture = sweep_dir / "comparison.png"
    plot_loss_curves(results, picture)
    return table, picture
