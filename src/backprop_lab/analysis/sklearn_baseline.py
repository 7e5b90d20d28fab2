"""The template against scikit-learn's standard baselines, on the same splits of the same data.

For every experiment and seed: train the template as `scripts/train.py
experiment=<name> seed=<seed>` would (in-process, without telemetry), then fit
LogisticRegression (classification) or Ridge (regression) on the very same
standardised train split and score both on the same test split. The
baseline sees the training rows only, as the template's weights do (the
template also uses the validation split, to pick its best checkpoint).

Any data config compares the same way: `compare_sklearn.py data=csv
data.path=my.csv data.target=label` trains `scripts/train.py` with those
overrides and fits the baseline on the splits its data module made (the
same rows, the same fitted preprocessing); such a comparison has no floor.
"""

import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from backprop_lab.runs.summary import read_summary
from backprop_lab.train import train

CONFIGS = Path(__file__).resolve().parents[3] / "configs"
# Training and its test only (configs/debug/quiet.yaml): nothing that only watches, which never changes the
# weights and costs about a third of these runs. An experiment's own callbacks, such as early stopping, stay.
QUIET = ["debug=quiet"]
# The metric compared, and the floor the template's mean must reach (diabetes: relative to the baseline).
EXPERIMENTS: dict[str, tuple[str, float]] = {
    "iris": ("test/acc", 0.93),
    "wine": ("test/acc", 0.95),
    "digits": ("test/acc", 0.96),
    "breast_cancer": ("test/acc", 0.96),
    "diabetes": ("test/r2", -0.02),
}


@dataclass
class Row:
    """One data set's scores over seeds: the template's and the baseline's."""

    name: str
    metric: str
    template: list[float]
    baseline: list[float]

    @property
    def floor(self) -> float | None:
        """The floor of a bundled experiment; None for any other data config."""
        if self.name not in EXPERIMENTS:
            return None
        floor = EXPERIMENTS[self.name][1]
        return statistics.mean(self.baseline) + floor if self.metric == "test/r2" else floor

    @property
    def passes(self) -> bool:
        return self.floor is None or statistics.mean(self.template) >= self.floor


def _compose(overrides: list[str], seed: int, output_dir: Path) -> object:
    overrides = [*overrides, f"seed={seed}", f"paths.output_dir={output_dir}", *QUIET]
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        return compose(config_name="train", overrides=overrides)


def baseline_score(cfg: object) -> tuple[float, str]:
    """LogisticRegression or Ridge fitted on the config's train split, scored on its test split; and the task."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import accuracy_score, r2_score

    datamodule = instantiate(cfg.data)
    (x_train, y_train), (x_test, y_test) = datamodule.splits["train"], datamodule.splits["test"]
    x_train, x_test = x_train.flatten(1), x_test.flatten(1)  # images as rows of pixels
    if datamodule.task == "regression":
        model = Ridge(alpha=1.0).fit(x_train.numpy(), y_train.numpy())
        return float(r2_score(y_test.numpy(), model.predict(x_test.numpy()))), datamodule.task
    model = LogisticRegression(max_iter=5000).fit(x_train.numpy(), y_train.long().numpy())
    return float(accuracy_score(y_test.long().numpy(), model.predict(x_test.numpy()))), datamodule.task


def compare(names: list[str], seeds: list[int], overrides: list[str] | None = None) -> list[Row]:
    """Train and fit every (experiment, seed), and the data config `overrides` names if given; one `Row` each."""
    configs = [(name, [f"experiment={name}"]) for name in names]
    if overrides:
        configs.append((" ".join(overrides), list(overrides)))
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for number, (name, chosen) in enumerate(configs):
            metric, template, baseline = EXPERIMENTS.get(name, ("", 0.0))[0], [], []
            for seed in seeds:
                run_dir = Path(scratch) / f"{number}-{seed}"
                cfg = _compose(chosen, seed, run_dir)
                train(cfg)
                score, task = baseline_score(cfg)
                metric = metric or ("test/r2" if task == "regression" else "test/acc")
                template.append(float(read_summary(run_dir)["metrics"][metric]))
                baseline.append(score)
            rows.append(Row(name, metric, template, baseline))
    return rows


def _spread(values: list[float]) -> str:
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} ± {spread:.3f}"


def markdown_table(rows: list[Row], seeds: list[int]) -> str:
    """Mean ± standard deviation over the seeds, template next to baseline, with the floor and the verdict."""
    lines = [
        f"| data set | metric | template (seeds {seeds[0]}-{seeds[-1]}) | scikit-learn baseline | floor | |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        baseline = "Ridge" if row.metric == "test/r2" else "LogisticRegression"
        lines.append(
            f"| {row.name} | {row.metric} | {_spread(row.template)} | {_spread(row.baseline)} ({baseline}) | "
            f"{'-' if row.floor is None else format(row.floor, '.3f')} | "
            f"{'-' if row.floor is None else 'ok' if row.passes else 'BELOW FLOOR'} |"
        )
    return "\n".join(lines) + "\n"
