"""`data=csv` on raw public tables against a scikit-learn Pipeline on the same splits, over seeds.

    python scripts/tabular_floors.py                         # the Palmer penguins table (pip install -e ".[tabular]")
    python scripts/tabular_floors.py --table houses.csv:medv:regression --seeds 0 1 2 3 4

Each table is given as it is (text columns, NA cells, a row-name column).
The template trains with `data=csv` in-process; the baseline is impute
(median / most frequent) + one-hot + scale + LogisticRegression or Ridge, and
the same with a small MLP (one hidden layer of 32, as the template's),
fitted on the template's own training rows and feature columns, scored on
its test rows. Prints both per seed and their means; exits 1 when the
template's mean is more than 0.01 accuracy or 0.03 R^2 below the better Pipeline's.
"""

import argparse
import logging
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

from backprop_lab.analysis.sklearn_baseline import CONFIGS
from backprop_lab.data.csv_file import read_table
from backprop_lab.errors import reports_user_errors
from backprop_lab.runs.summary import read_summary
from backprop_lab.train import train

MARGIN = {"test/acc": 0.01, "test/r2": 0.03}
TRAINING = ["debug=quiet", "model=mlp", "model.net.hidden=[32]", "optimizer=adam", "optimizer.lr=0.01",
            "data.batch_size=16", "trainer.max_epochs=80"]  # fmt: skip


def penguins() -> str:
    from importlib.resources import files

    return f"{files('palmerpenguins') / 'data' / 'penguins.csv'}:species:multiclass"


def template_score(path: str, target: str, task: str, seed: int, folder: Path):
    from hydra import compose, initialize_config_dir

    overrides = [*TRAINING, "data=csv", f"data.path={path}", f"data.target={target}", f"data.task={task}"]
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose("train", overrides=[*overrides, f"seed={seed}", f"paths.output_dir={folder}"])
    train(cfg)
    metric = "test/r2" if task == "regression" else "test/acc"
    return float(read_summary(folder)["metrics"][metric]), cfg


def _spread(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values) if len(values) > 1 else 0.0:.3f}"


def baseline_scores(cfg, task: str) -> dict[str, float]:
    """Each Pipeline (linear, small MLP) on the template's own training rows and columns, scored on its test rows."""
    from hydra.utils import instantiate
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from backprop_lab.data.splits import split_order, split_sizes

    fitted = instantiate(cfg.data).fitted_preprocessing()
    columns, kinds = fitted["columns"], fitted["kinds"]
    table = read_table(cfg.data.path)
    table = table.filter(table.column(cfg.data.target).is_valid())  # as data=csv drops rows without a target
    x = np.empty((table.num_rows, len(columns)), dtype=object)
    for j, name in enumerate(columns):
        x[:, j] = [np.nan if v is None else v for v in table.column(name).to_pylist()]
    y = np.array(table.column(cfg.data.target).to_pylist()).astype(float if task == "regression" else str)
    order = split_order(len(x), cfg.data.seed).numpy()
    n_train, n_val, _ = split_sizes(len(x), cfg.data.val_fraction, cfg.data.test_fraction)
    train_rows, test_rows = order[:n_train], order[n_train + n_val :]
    numbers = [j for j, k in enumerate(kinds) if k == "number"]
    texts = [j for j, k in enumerate(kinds) if k == "text"]
    models = {
        "linear": Ridge() if task == "regression" else LogisticRegression(max_iter=5000),
        "MLP": (MLPRegressor if task == "regression" else MLPClassifier)(
            hidden_layer_sizes=(32,), max_iter=2000, random_state=cfg.seed
        ),
    }
    scores = {}
    for name, model in models.items():
        encode = ColumnTransformer(
            [
                ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
                ("text", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                       OneHotEncoder(handle_unknown="ignore")), texts),
            ]
        )  # fmt: skip
        predicted = make_pipeline(encode, model).fit(x[train_rows], y[train_rows]).predict(x[test_rows])
        score = r2_score if task == "regression" else accuracy_score
        scores[name] = float(score(y[test_rows], predicted))
    return scores


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="append", help="PATH:TARGET:TASK (default: the Palmer penguins)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for name in ("lightning", "lightning.pytorch"):  # the Trainer's start-up lines, ten runs a table
        logging.getLogger(name).setLevel(logging.WARNING)
    ok = True
    print("| table | metric | template | Pipeline + linear | Pipeline + MLP (32) | template - best |")
    print("|---|---|---|---|---|---|")
    for spec in args.table or [penguins()]:
        path, target, task = spec.rsplit(":", 2)
        metric = "test/r2" if task == "regression" else "test/acc"
        ours, theirs = [], {"linear": [], "MLP": []}
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as folder:
                score, cfg = template_score(path, target, task, seed, Path(folder))
            ours.append(score)
            for name, value in baseline_scores(cfg, task).items():
                theirs[name].append(value)
            print(f"  {Path(path).name} seed {seed}: template {score:.4f}, Pipelines "
                  f"{theirs['linear'][-1]:.4f} (linear), {theirs['MLP'][-1]:.4f} (MLP)", file=sys.stderr)  # fmt: skip
        gap = statistics.mean(ours) - max(statistics.mean(v) for v in theirs.values())
        ok &= gap >= -MARGIN[metric]
        print(f"| {Path(path).name} | {metric} | {_spread(ours)} | {_spread(theirs['linear'])} | "
              f"{_spread(theirs['MLP'])} | {gap:+.3f} |")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
