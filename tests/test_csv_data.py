"""`data=csv`: a table trains as is, and every unusable file stops the run with a message that says the fix."""

from pathlib import Path

import pytest
import torch

from backprop_lab.data import preprocessing
from backprop_lab.data.tabular import CsvDataModule
from backprop_lab.errors import DataError

from helpers import read_metrics


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def table(n: int = 40) -> str:
    """Two numeric features, a text column to leave out, and a 0/1 label."""
    return "a,b,name,label\n" + "".join(f"{i % 4},{i / 10},row{i},{int(i % 4 in (1, 2))}\n" for i in range(n))


def test_selected_columns_load_split_by_seed_and_standardised_on_train(tmp_path):
    path = write(tmp_path / "t.csv", table())
    dm = CsvDataModule(path=str(path), target="label", features=["a", "b"], val_fraction=0.25, test_fraction=0.25)
    assert dm.input_shape == (2,)
    assert [len(dm.splits[s][0]) for s in ("train", "val", "test")] == [20, 10, 10]
    assert torch.allclose(dm.splits["train"][0].mean(0), torch.zeros(2), atol=1e-5)
    again = CsvDataModule(path=str(path), target="label", features=["a", "b"], val_fraction=0.25, test_fraction=0.25)
    assert torch.equal(again.splits["test"][0], dm.splits["test"][0])


def test_features_default_to_every_column_but_the_target_and_one_name_is_one_column(tmp_path):
    path = write(tmp_path / "t.csv", "x,y,z,target\n1,2,3,0\n4,5,6,1\n7,8,9,0\n1,1,1,1\n2,2,2,0\n")
    dm = CsvDataModule(path=str(path), target="target", val_fraction=0.2, test_fraction=0.2, standardize=False)
    assert dm.input_shape == (3,)
    assert CsvDataModule(path=str(path), target="target", features="z").input_shape == (1,)


# (file contents or None for no file, what the message must say)
BAD_FILES = {
    "missing file": (None, "the file does not exist"),
    "empty file": ("", "the file is empty"),
    "header only": ("a,b,label\n", "no data rows"),
    "text value": ("a,b,label\n1,2,0\n1,oops,1\n", "the first on line 3: 'oops'. If 'oops' marks a missing value"),
    "no target column": ("a,b,y\n1,2,0\n", "has no column 'label' (data.target='label'). Its columns are: a, b, y"),
    "fractional labels": ("a,b,label\n1,2,0\n1,2,0.5\n3,4,1\n", "holds 0.5, which are not class labels"),
    "one class": ("a,b,label\n1,2,yes\n1,3,yes\n3,4,yes\n", "holds only the class yes in all 3 rows"),
    "short row": ("a,b,label\n1,2,0\n1,2\n", "line 3: 2 fields"),
}


@pytest.mark.parametrize(("contents", "says"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_unusable_file_is_a_data_error_that_names_the_problem(tmp_path, contents, says):
    path = tmp_path / "data.csv"
    if contents is not None:
        write(path, contents)
    with pytest.raises(DataError) as err:
        CsvDataModule(path=str(path), target="label").setup()
    assert says in str(err.value)
    assert "data.path=" in str(err.value) or "data.target" in str(err.value)


def test_more_classes_than_the_limit_are_refused_with_the_value_that_fits(tmp_path):
    path = write(tmp_path / "t.csv", "a,label\n" + "".join(f"{i},{'xyz'[i % 3]}\n" for i in range(9)))
    with pytest.raises(DataError) as err:
        CsvDataModule(path=str(path), target="label", max_classes=2).setup()
    assert "Target column 'label': the labels make 3 classes, more than data.max_classes=2." in str(err.value)
    assert "data.max_classes=3" in str(err.value)
    assert CsvDataModule(path=str(path), target="label", max_classes=3).num_classes == 3


def test_text_columns_wider_than_the_limit_are_refused_before_the_inputs_are_made(tmp_path, monkeypatch):
    rows = "".join(f"{'abcd'[i % 4]},{'uv'[i % 2]},{i % 2}\n" for i in range(40))
    path = write(tmp_path / "t.csv", "shop,size,label\n" + rows)
    made = []
    monkeypatch.setattr(preprocessing, "transform", lambda *args: made.append(args))
    with pytest.raises(DataError) as err:
        CsvDataModule(path=str(path), target="label", max_one_hot_columns=5).setup()
    says = str(err.value)
    assert "would make 6 input columns (one per category in the training rows)" in says
    assert "more than data.max_one_hot_columns=5. Categories per column, most first: 'shop' 4, 'size' 2." in says
    assert "data.exclude=[shop]" in says and "data.max_one_hot_columns=6." in says
    assert made == []


def test_unknown_feature_column_lists_the_columns(tmp_path):
    path = write(tmp_path / "t.csv", table())
    with pytest.raises(DataError, match=r"no column 'c' \(data.features='c'\). Its columns are: a, b, name, label"):
        CsvDataModule(path=str(path), target="label", features=["a", "c"]).setup()


def test_bad_file_stops_the_run_with_one_paragraph_and_a_failed_record(train_run, tmp_path):
    """Through scripts/train.py; every DataError above takes this same path."""
    contents, says = BAD_FILES["fractional labels"]
    path = write(tmp_path / "data.csv", contents)
    proc, run_dir = train_run("data=csv", f"data.path={path}", "data.target=label")
    assert proc.returncode == 2
    message = proc.stderr.strip().split("\n\n")
    assert message[0].splitlines()[-1].startswith("error: ") and says in message[-1]
    assert "Traceback" not in proc.stderr
    assert read_metrics(run_dir)["status"] == "failed" and (run_dir / ".hydra" / "config.yaml").is_file()
    assert not (run_dir / "checkpoints").exists()


def test_csv_trains_end_to_end_with_the_input_width_of_the_selected_columns(train_run, tmp_path):
    path = write(tmp_path / "t.csv", table(200))
    proc, run_dir = train_run(
        "data=csv", f"data.path={path}", "data.target=label", "data.features=[a,b]", "trainer.max_epochs=3"
    )
    assert proc.returncode == 0, proc.stderr
    summary = read_metrics(run_dir)
    assert summary["status"] == "success" and summary["epochs"] == 3
    weights = torch.load(summary["last_checkpoint"], weights_only=True)["state_dict"]
    assert weights["net.hidden1.weight"].shape == (8, 2)
