"""How long `data=csv` takes on a large file: `python scripts/csv_speed.py --rows 1000000 --columns 50`.

Writes a table of numbers (one column in ten text, one cell in a hundred
missing) to a temporary folder, then times reading it and building the
splits (ID check, fill, one-hot, split, scaling), each once.
"""

import argparse
import tempfile
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        write_table(path, args.rows, args.columns)
        print(f"{args.rows} rows x {args.columns} columns, {path.stat().st_size / 1e6:.0f} MB")
        start = time.perf_counter()
        read_table(path)
        print(f"read_table: {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        datamodule = CsvDataModule(path=str(path), target="label")
        datamodule.setup()
        print(f"CsvDataModule.setup (read, check, fill, one-hot, split, scale): {time.perf_counter() - start:.2f} s")
        print(f"input width {datamodule.input_shape[0]}, train rows {len(datamodule.splits['train'][0])}")


if __name__ == "__main__":
    main()
