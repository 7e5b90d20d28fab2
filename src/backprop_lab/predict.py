"""The predict task: what a trained checkpoint says about inputs given or read from a CSV.

Binary: the probability of class 1 and the class at `threshold`. Multi-class:
the probability of every class (by name) and the most likely class's name.
Regression: the predicted value in the target's own units.

Prints a table and writes nothing, so it makes no run folder; for a model
trained on `data=csv`, `inputs_csv=FILE` picks the columns by name and writes
the rows with their predictions to `output_csv` (see `predict_csv`).
"""

import csv
import math
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, ListConfig, OmegaConf

from backprop_lab.errors import ConfigError, UserError, stop_if_interrupted_at_start
from backprop_lab.evaluate import restore_for_predict
from backprop_lab.predict_csv import predict_csv
from backprop_lab.runs.rebuild import scale_inputs


def read_csv_inputs(path: str | Path) -> list[list[float]]:
    """Rows of numbers from a CSV file; a first row with a cell that is not a number at all is a header, skipped.

    `nan` and `inf` parse as numbers: a first row holding them is a data row, and refused as one.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(
            f"inputs_csv={path} does not exist. Pass a CSV file with one row per example and one "
            "numeric column per input feature, e.g. inputs_csv=points.csv."
        )
    with path.open(newline="") as f:
        rows = [row for row in csv.reader(f) if row]
    if rows and not _all_parse(rows[0]):
        rows = rows[1:]
    if not rows:
        raise UserError(f"inputs_csv={path} has no rows to predict. Add one row per example, e.g. 0,1.")
    for number, row in enumerate(rows, start=1):
        if not _all_numbers(row):
            raise UserError(
                f"inputs_csv={path}: data row {number} ({','.join(row)}) is not all numbers. "
                "Every column must be a finite number."
            )
    return [[float(v) for v in row] for row in rows]


def _all_parse(row: list[str]) -> bool:
    try:
        [float(v) for v in row]
    except ValueError:
        return False
    return True


def _all_numbers(row: list[str]) -> bool:
    try:
        return all(math.isfinite(float(v)) for v in row)
    except ValueError:
        return False


def _inline_inputs(value: Any) -> list[list[float]]:
    rows = OmegaConf.to_object(value) if isinstance(value, ListConfig) else value
    if not isinstance(rows, list) or not rows:
        raise ConfigError(f"inputs={value!r} is not allowed: it must be a list of rows, e.g. 'inputs=[[0,1],[1,1]]'.")
    rows = [r if isinstance(r, list) else [r] for r in rows]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for r in rows for v in r):
        raise ConfigError(f"inputs={rows!r} is not allowed: every value must be a finite number.")
    return [[float(v) for v in r] for r in rows]


def predict(cfg: DictConfig) -> list[tuple[list[float], Any, Any]] | Path:
    """(inputs, probability, class) for every input row (see the module's docstring); prints them as a table."""
    stop_if_interrupted_at_start()  # Ctrl-C or SIGTERM during the imports of torch and Lightning
    if (cfg.get("inputs") is None) == (cfg.get("inputs_csv") is None):
        raise ConfigError(
            "Give exactly one of inputs=[[...],...] (rows on the command line) or "
            "inputs_csv=<file> (a CSV file, one row per example)."
        )
    threshold = cfg.get("threshold")
    if not (isinstance(threshold, (int, float)) and not isinstance(threshold, bool) and 0 < threshold < 1):
        raise ConfigError(
            f"threshold={threshold!r} is not allowed: it must be a number strictly between 0 and 1 (a probability "
            "at or above it is class 1), e.g. threshold=0.5."
        )
    rows = _inline_inputs(cfg.inputs) if cfg.get("inputs") is not None else None
    model, shape, preprocessing, class_names = restore_for_predict(cfg.get("ckpt_path"))
    if rows is None and "kinds" in preprocessing:  # trained on data=csv: columns by name, predictions to a CSV
        return predict_csv(cfg.inputs_csv, cfg.get("output_csv"), model, preprocessing, class_names, threshold)
    rows = rows if rows is not None else read_csv_inputs(cfg.inputs_csv)
    width = math.prod(shape)
    if any(len(r) != width for r in rows):
        bad = next(r for r in rows if len(r) != width)
        raise ConfigError(
            f"Input row {bad} has {len(bad)} values, but the model takes {width} features. "
            f"Give {width} numbers per row" + (f" (an input of shape {shape}, flattened)." if len(shape) > 1 else ".")
        )
    with torch.no_grad():
        inputs = scale_inputs(torch.tensor(rows).reshape(-1, *shape), preprocessing)
        outputs = model.task.predict(model(inputs)).tolist()
    names = preprocessing.get("encoded_columns") or preprocessing.get("columns") or [f"x{i + 1}" for i in range(width)]
    task = model.task.name
    if task == "multiclass":
        best = [max(range(len(p)), key=p.__getitem__) for p in outputs]
        results = [(r, p, class_names[b]) for r, p, b in zip(rows, outputs, best, strict=True)]
        print("\t".join([*names, *(f"p({c})" for c in class_names), "class"]))
        for r, p, c in results:
            print("\t".join([*(f"{v:g}" for v in r), *(f"{q:.6f}" for q in p), c]))
        return results
    if task == "regression":
        results = [(r, v, None) for r, v in zip(rows, outputs, strict=True)]
        print("\t".join([*names, f"predicted {preprocessing.get('target') or 'target'}"]))
        for r, v, _ in results:
            print("\t".join([*(f"{x:g}" for x in r), f"{v:.6g}"]))
        return results
    results = [(r, p, int(p >= threshold)) for r, p in zip(rows, outputs, strict=True)]
    print("\t".join([*names, "probability", "class"]))
    for r, p, c in results:
        print("\t".join([*(f"{v:g}" for v in r), f"{p:.6f}", str(c)]))
    return results
