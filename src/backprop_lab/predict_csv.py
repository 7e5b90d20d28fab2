"""Predictions for a CSV file by column name, for a model trained on `data=csv`.

The file's feature columns are picked by the names stored in the checkpoint
(extra columns, such as the target or an ID, are ignored; a missing one is
refused by name), encoded and scaled with the training run's stored
preprocessing, and written back, every input column kept, with the
predictions beside them: class names and probabilities, or values in the
target's units. The output is written whole or not at all (atomic rename).
"""

import logging
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import torch

from backprop_lab.data import preprocessing as fitted_steps
from backprop_lab.data.columns import check_columns, file_problems
from backprop_lab.data.csv_file import read_table
from backprop_lab.errors import ConfigError
from backprop_lab.runs.atomic import atomic_write
from backprop_lab.runs.rebuild import scale_inputs

log = logging.getLogger(__name__)


def output_path(inputs_csv: Path, output_csv: str | None) -> Path:
    """`output_csv`, or `<inputs>.predictions.csv` next to the inputs; never the inputs file itself."""
    out = Path(output_csv) if output_csv else inputs_csv.with_name(f"{inputs_csv.stem}.predictions.csv")
    if out.resolve() == inputs_csv.resolve():
        raise ConfigError(f"output_csv={out} is the inputs file itself; name another file, e.g. output_csv=out.csv.")
    return out


def encoded_inputs(table: pa.Table, preprocessing: dict[str, Any], where: str) -> torch.Tensor:
    """The rows as the model saw its training rows: the stored columns by name, filled, encoded and scaled."""
    columns = preprocessing["columns"]
    absent = [name for name in columns if name not in table.column_names]
    if absent:
        raise ConfigError(
            f"{where} lacks the feature column(s) {', '.join(map(repr, absent))} that the model was trained on. "
            f"It needs a header naming every one of: {', '.join(columns)} (other columns are ignored)."
        )
    _, problems = check_columns(table, columns, "fill", preprocessing["kinds"])
    if problems:
        raise file_problems(where, problems)
    x = torch.from_numpy(fitted_steps.transform(table, preprocessing))
    return scale_inputs(x, preprocessing)


def prediction_columns(outputs: torch.Tensor, task: str, class_names: list[str], target: str, threshold: float):
    """The columns to append: probabilities and the class (by name), or the predicted value."""
    if task == "regression":
        return {f"predicted {target}": outputs.tolist()}
    if task == "multiclass":
        columns = {f"p({name})": outputs[:, i].tolist() for i, name in enumerate(class_names)}
        return {**columns, f"predicted {target}": [class_names[i] for i in outputs.argmax(dim=1).tolist()]}
    names = [class_names[0], class_names[1]]
    return {
        f"p({names[1]})": outputs.tolist(),
        f"predicted {target}": [names[int(p >= threshold)] for p in outputs.tolist()],
    }


def predict_csv(
    inputs_csv: str, output_csv: str | None, model: Any, preprocessing: dict[str, Any], class_names: list[str],
    threshold: float,
) -> Path:  # fmt: skip
    """Write `inputs_csv`'s rows with the model's predictions to a CSV; return its path."""
    source = Path(inputs_csv)
    where = f"inputs_csv={str(source)!r}"
    out = output_path(source, output_csv)
    table = read_table(source, where, preprocessing.get("na_values") or [], decimal=preprocessing.get("decimal", "."))
    with torch.no_grad():
        outputs = model.task.predict(model(encoded_inputs(table, preprocessing, where)))
    target = preprocessing.get("target") or "target"
    added = prediction_columns(outputs, model.task.name, class_names, target, threshold)
    for name, values in added.items():
        table = table.append_column(name if name not in table.column_names else f"{name} (model)", pa.array(values))
    with atomic_write(out, "wb") as f:
        pacsv.write_csv(table, f)
    print(f"Wrote {table.num_rows} rows with their predictions ({', '.join(added)}) to {out}")
    return out
