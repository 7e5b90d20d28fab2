"""How long `data=csv` takes on a large file: `python scripts/csv_speed.py --rows 1000000 --columns 50`.

Writes a table of numbers (one column in ten text, one cell in a hundred
missing) to a temporary folder, then times, each `--repeats` times (the best
is printed): pyarrow's bare `read_csv` (the floor), the template's reader
(`read_table`), and building the splits (read, ID check, fill, one-hot,
split, scaling).
"""

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from backprop_lab.data.csv_file import read_table
from backprop_lab.data.tabular import CsvDataModule


def write_table(path: Path, rows: int, columns: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    data = {}
    for j in range(columns - 1):
        if j % 10 == 9:
            data[f"t{j}"] = pa.array(np.array(["red", "green", "blue", "grey"])[rng.integers(0, 4, rows)])
        else:
            values = rng.normal(size=rows).round(4)
            data[f"x{j}"] = pa.array(values, mask=rng.random(rows) < 0.01)
    data["label"] = pa.array(rng.integers(0, 2, rows))
    pacsv.write_csv(pa.table(data), path)


def setup(path: Path) -> CsvDataModule:
    datamodule = CsvDataModule(path=str(path), target="label")
    datamodule.setup()
    return datamodule


def best_of(step: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        write_table(path, args.rows, args.columns)
        print(f"{args.rows} rows x {args.columns} columns, {path.stat().st_size / 1e6:.0f} MB")
        steps = {
            "pyarrow read_csv (the floor)": lambda: pacsv.read_csv(path),
            "read_table": lambda: read_table(path),
            "CsvDataModule.setup (read, check, fill, one-hot, split, scale)": lambda: setup(path),
        }
        for name, step in steps.items():
            print(f"{name}: {best_of(step, args.repeats):.2f} s (best of {args.repeats})")
        datamodule = setup(path)
        print(f"input width {datamodule.input_shape[0]}, train rows {len(datamodule.splits['train'][0])}")


if __name__ == "__main__":
    main()
