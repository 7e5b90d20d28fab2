"""`data=csv` on tables as they come: text columns, missing cells, ID columns, every problem in one message."""

import logging
import statistics
from pathlib import Path

import pytest
import torch

from backprop_lab.data.splits import split_order, split_sizes
from backprop_lab.data.tabular import CsvDataModule
from backprop_lab.errors import DataError

COLOURS = ["red", "green", "blue"]


def rows(n: int = 60) -> list[list[str]]:
    """colour (text, NA cells), size (numbers, NA and ? cells), a 0/1 label."""
    return [
        ["NA" if i % 11 == 0 else COLOURS[i % 3], "?" if i % 7 == 0 else "" if i % 9 == 0 else f"{i % 13}", str(i % 2)]
        for i in range(n)
    ]


def write(path: Path, table: list[list[str]], header: str = "colour,size,label") -> Path:
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in table))
    return path


def module(path: Path, **options) -> CsvDataModule:
    return CsvDataModule(path=str(path), target="label", na_values=["?"], seed=3, **options)


def test_fill_values_categories_and_scaling_come_from_the_training_rows_alone(tmp_path):
    table = rows()
    order = split_order(len(table), 3).tolist()
    n_train = split_sizes(len(table), 0.2, 0.2)[0]
    train, held_out = order[:n_train], order[n_train:]
    other = [list(r) for r in table]
    for i in held_out:  # val and test rows: a new colour, huge sizes, more missing cells
        other[i] = ["purple" if i % 2 else "NA", "1000" if i % 3 else "NA", table[i][2]]
    first = module(write(tmp_path / "a.csv", table)).fitted_preprocessing()
    second_dm = module(write(tmp_path / "b.csv", other), standardize=False)
    second = second_dm.fitted_preprocessing()
    for key in ("fill", "categories", "encoded_columns", "columns", "kinds"):
        assert first[key] == second[key], key
    sizes = [float(table[i][1]) for i in train if table[i][1] not in ("?", "")]
    colours = [table[i][0] for i in train if table[i][0] != "NA"]
    assert first["fill"] == [statistics.mode(sorted(colours)), statistics.median(sizes)]
    assert first["categories"] == {"colour": sorted(set(colours))} and "purple" not in first["categories"]["colour"]
    assert first["encoded_columns"] == ["colour=blue", "colour=green", "colour=red", "size"]
    # a category first seen outside the training rows is all zeros; a missing size is the training median
    x = torch.cat([second_dm.splits["val"][0], second_dm.splits["test"][0]])
    purple = [other[i][0] == "purple" for i in held_out]
    assert (x[torch.tensor(purple)][:, :3] == 0).all()
    missing_size = torch.tensor([other[i][1] == "NA" for i in held_out])
    assert (x[missing_size][:, 3] == statistics.median(sizes)).all()


def test_missing_indicators_and_the_drop_and_error_modes(tmp_path):
    path = write(tmp_path / "t.csv", rows())
    flagged = module(path, missing_indicators=True, standardize=False)
    assert flagged.fitted_preprocessing()["indicators"] == ["colour", "size"]
    x = torch.cat([flagged.splits[s][0] for s in ("train", "val", "test")])
    assert x.shape[1] == 6 and set(x[:, 4].tolist()) == {0.0, 1.0}
    dropped = module(path, missing="drop")
    kept = sum(r[0] != "NA" and r[1] not in ("?", "") for r in rows())
    assert sum(len(dropped.splits[s][0]) for s in ("train", "val", "test")) == kept
    with pytest.raises(DataError) as err:
        module(path, missing="error").setup()
    assert "Column 'colour': 6 missing cell(s), the first on line 2" in str(err.value)
    assert "Column 'size'" in str(err.value) and "data.missing=fill" in str(err.value)


def test_every_problem_of_a_file_is_in_one_message_one_paragraph_per_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("a,b,c,d,label\n1,2,inf,,x\n2,oops,3,,y\n3,4,5,,x\n4,5,6,,y\n")
    with pytest.raises(DataError) as err:
        CsvDataModule(path=str(path), target="label").setup()
    head, *paragraphs = str(err.value).split("\n\n")
    assert head.startswith("data.path=") and "3 problem(s)" in head
    assert "Column 'b' holds numbers, but 1 cell(s) are not numbers, the first on line 3: 'oops'" in paragraphs[0]
    assert "data.na_values=[oops]" in paragraphs[0]
    assert "Column 'c': 1 infinite value(s), the first on line 2 (inf)" in paragraphs[1]
    assert "Column 'd' is empty in every row. Leave it out with data.exclude=[d]" in paragraphs[2]
    path.write_text("a,b,label\n1,2,x\n2,oops,x\n3,4,x\n")
    with pytest.raises(DataError) as err:
        CsvDataModule(path=str(path), target="label").setup()
    assert "2 problem(s)" in str(err.value) and "holds only the class x in all 3 rows" in str(err.value)


def test_text_labels_with_a_regression_task_are_refused_with_an_example(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,label\n1,cat\n2,dog\n3,cat\n")
    with pytest.raises(DataError, match="Target column 'label' holds text such as 'cat', but data.task=regression"):
        CsvDataModule(path=str(path), target="label", task="regression").setup()


def test_id_columns_are_left_out_with_one_line_and_features_or_exclude_override(tmp_path, caplog):
    text = "rownames,code,a,b,label\n" + "".join(f"{i + 1},k{i},{i % 3},{i % 5},{i % 2}\n" for i in range(30))
    path = tmp_path / "t.csv"
    path.write_text(text)
    with caplog.at_level(logging.INFO):
        dm = CsvDataModule(path=str(path), target="label")
        assert dm.fitted_preprocessing()["columns"] == ["a", "b"]
    said = [r.getMessage() for r in caplog.records if "ID column" in r.getMessage()]
    assert len(said) == 1 and "'rownames', 'code'" in said[0]
    keep = CsvDataModule(path=str(path), target="label", features=["rownames", "a"])
    assert keep.fitted_preprocessing()["columns"] == ["rownames", "a"]
    assert CsvDataModule(path=str(path), target="label", exclude=["b"]).fitted_preprocessing()["columns"] == ["a"]
