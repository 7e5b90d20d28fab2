"""Inputs that used to give wrong results reported as success now stop with one clear paragraph."""

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from backprop_lab.data.tabular import CsvDataModule
from backprop_lab.errors import ConfigError, DataError, UserError
from backprop_lab.predict import predict, read_csv_inputs


def test_a_csv_with_one_class_only_is_refused(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("a,label\n" + "".join(f"{i % 3},1\n" for i in range(10)))
    with pytest.raises(DataError, match="holds only the class 1 in all 10 rows"):
        CsvDataModule(path=str(path), target="label").setup()


def test_duplicate_column_names_are_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("a,a,label\n1,2,0\n3,4,1\n")
    with pytest.raises(DataError, match="names the column\\(s\\) 'a' more than once"):
        CsvDataModule(path=str(path), target="label").setup()


@pytest.mark.parametrize("first", ["nan,1", "1,inf", "-inf,0"])
def test_a_first_row_with_nan_or_inf_is_refused_not_skipped_as_a_header(tmp_path, first):
    path = tmp_path / "points.csv"
    path.write_text(f"{first}\n0,1\n")
    with pytest.raises(UserError, match=f"data row 1 \\({first}\\) is not all numbers"):
        read_csv_inputs(path)


def test_a_header_is_still_skipped(tmp_path):
    path = Path(tmp_path / "points.csv")
    path.write_text("x1,x2\n0,1\n")
    assert read_csv_inputs(path) == [[0.0, 1.0]]


@pytest.mark.parametrize("threshold", [float("nan"), 0, 1, 2, -0.5, "high", True])
def test_threshold_outside_zero_one_is_refused_before_anything_is_loaded(threshold):
    cfg = OmegaConf.create({"ckpt_path": "never/read.ckpt", "inputs": [[0, 1]], "inputs_csv": None})
    cfg.threshold = threshold
    with pytest.raises(ConfigError, match="must be a number strictly between 0 and 1"):
        predict(cfg)
