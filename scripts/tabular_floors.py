"""`data=csv` on raw public tables against a scikit-learn Pipeline on the same splits, over seeds.

    python scripts/tabular_floors.py                         # the Palmer penguins table (pip install -e ".[tabular]")
    python scripts/tabular_floors.py --table houses.csv:medv:regression --seeds 0 1 2 3 4

Each table is given as it is (text columns, NA cells, a row-name column).
The template trains with `data=csv` in-process; the baseline is impute
(median / most frequent) + one-hot + scale + LogisticRegression or Ridge,
fitted on the template's own training rows and feature columns, scored on
its test rows. Prints both per seed and their means; exits 1 when the
template's mean is more than 0.01 accuracy or 0.03 R^2 below the baseline's.
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


def baseline_score(cfg, task: str) -> float:
    """The Pipeline on the template's own training rows and columns, scored on its test rows."""
    from hydra.utils import instantiate
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from backprop_lab.data.splits import split_order, split_sizes

    datamodule = instantiate(cfg.data)
    fitted = datamodule.fitted_preprocessing()
    columns, kinds = fitted["columns"], fitted["kinds"]
    table = read_table(cfg.data.path)
    table = table.filter(table.column(cfg.data.target).is_valid())  # as data=csv drops rows without a target
    x = np.empty((table.num_rows, len(columns)), dtype=object)
    for j, name in enumerate(columns):
        x[:, j] = [np.nan if v is None else v for v in table.column(name).to_pylist()]
    y = np.array(table.column(cfg.data.target).to_pylist())
    order = split_order(len(x), cfg.data.seed).numpy()
    n_train, n_val, _ = split_sizes(len(x), cfg.data.val_fraction, cfg.data.test_fraction)
    train_rows, test_rows = order[:n_train], order[n_train + n_val :]
    numbers = [j for j, k in enumerate(kinds) if k == "number"]
    texts = [j for j, k in enumerate(kinds) if k == "text"]
    encode = ColumnTransformer(
        [
            ("numbers", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
            ("text", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
             texts),
        ]
    )  # fmt: skip
    model = Ridge() if task == "regression" else LogisticRegression(max_iter=5000)
    pipeline = make_pipeline(encode, model).fit(
        x[train_rows], y[train_rows].astype(float if task == "regression" else str)
    )
    predicted = pipeline.predict(x[test_rows])
    if task == "regression":
        return float(r2_score(y[test_rows].astype(float), predicted))
    return float(accuracy_score(y[test_rows].astype(str), predicted))


@reports_user_errors
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", action="append", help="PATH:TARGET:TASK (default: the Palmer penguins)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    ok = True
    print("| table | metric | template | scikit-learn Pipeline | difference |\n|---|---|---|---|---|")
    for spec in args.table or [penguins()]:
        path, target, task = spec.rsplit(":", 2)
        metric = "test/r2" if task == "regression" else "test/acc"
        ours, theirs = [], []
        for seed in args.seeds:
            with tempfile.TemporaryDirectory() as folder:
                score, cfg = template_score(path, target, task, seed, Path(folder))
            ours.append(score)
            theirs.append(baseline_score(cfg, task))
            print(
                f"  {Path(path).name} seed {seed}: template {ours[-1]:.4f}, Pipeline {theirs[-1]:.4f}", file=sys.stderr
            )
        mean, base = statistics.mean(ours), statistics.mean(theirs)
        ok &= mean >= base - MARGIN[metric]
        spread = (
            statistics.stdev(ours) if len(ours) > 1 else 0.0,
            statistics.stdev(theirs) if len(theirs) > 1 else 0.0,
        )
        print(f"| {Path(path).name} | {metric} | {mean:.3f} ± {spread[0]:.3f} | {base:.3f} ± {spread[1]:.3f} | "
              f"{mean - base:+.3f} |")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
