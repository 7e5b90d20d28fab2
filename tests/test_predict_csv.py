"""Predictions from a CSV by column name, with the training run's own preprocessing, written to a CSV."""

import csv

import pytest
import torch
from omegaconf import OmegaConf

from backprop_lab.errors import ConfigError
from backprop_lab.evaluate import restore_model
from backprop_lab.predict import predict
from backprop_lab.train import train

from helpers import compose_train, read_metrics

SPECIES = ["ant", "bee", "cat"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A multi-class model trained on a table with an ID column, a text column and missing cells."""
    folder = tmp_path_factory.mktemp("csv")
    lines = [
        f"{i + 1},{['north', 'south'][i % 2]},{'NA' if i % 10 == 0 else (i % 3) * 2 + (i % 5) / 10},{SPECIES[i % 3]}"
        for i in range(90)
    ]
    data = folder / "animals.csv"
    data.write_text("rownames,island,length,species\n" + "\n".join(lines) + "\n")
    run_dir = folder / "run"
    cfg = compose_train(
        "debug=quiet", "data=csv", f"data.path={data}", "data.target=species", "trainer.max_epochs=30",
        "optimizer=adam", "optimizer.lr=0.05", output_dir=run_dir,
    )  # fmt: skip
    train(cfg)
    return data, read_metrics(run_dir)["last_checkpoint"]


def predict_cfg(ckpt: str, inputs_csv, **more):
    return OmegaConf.create(
        {"ckpt_path": ckpt, "inputs": None, "inputs_csv": str(inputs_csv), "threshold": 0.5, **more}
    )


def test_rows_are_written_with_class_names_and_probabilities_as_eval_sees_them(trained, tmp_path):
    data, ckpt = trained
    out = predict(predict_cfg(ckpt, data, output_csv=str(tmp_path / "out.csv")))
    with out.open(newline="") as f:
        written = list(csv.DictReader(f))
    assert list(written[0]) == ["rownames", "island", "length", "species", "p(ant)", "p(bee)", "p(cat)",
                                "predicted species"]  # fmt: skip
    model, datamodule, _ = restore_model(ckpt)
    n_train, n_val = len(datamodule.splits["train"][0]), len(datamodule.splits["val"][0])
    order = torch.randperm(90, generator=torch.Generator().manual_seed(datamodule.seed))[n_train + n_val :]
    with torch.no_grad():
        expected = torch.softmax(model(datamodule.splits["test"][0]), dim=1)
    got = torch.tensor([[float(written[i][f"p({s})"]) for s in SPECIES] for i in order.tolist()])
    assert torch.allclose(got, expected, atol=1e-5)
    accuracy = sum(r["predicted species"] == r["species"] for r in written) / len(written)
    assert accuracy > 0.9


def test_columns_are_picked_by_name_extras_ignored_and_a_missing_one_named(trained, tmp_path):
    _, ckpt = trained
    shuffled = tmp_path / "new.csv"
    shuffled.write_text("note,length,island\nfirst,0.2,north\nsecond,NA,east\n")
    out = predict(predict_cfg(ckpt, shuffled))
    assert out == tmp_path / "new.predictions.csv"
    with out.open(newline="") as f:
        written = list(csv.DictReader(f))
    assert [r["note"] for r in written] == ["first", "second"] and written[0]["predicted species"] in SPECIES
    lacking = tmp_path / "lacking.csv"
    lacking.write_text("length\n0.2\n")
    with pytest.raises(ConfigError, match="lacks the feature column\\(s\\) 'island' that the model was trained on"):
        predict(predict_cfg(ckpt, lacking))
    assert not (tmp_path / "lacking.predictions.csv").exists()


def test_text_where_the_model_learned_numbers_is_refused_and_an_empty_column_is_filled(trained, tmp_path):
    _, ckpt = trained
    wordy = tmp_path / "wordy.csv"
    wordy.write_text("island,length\nnorth,long\nsouth,short\n")
    with pytest.raises(ConfigError, match="Column 'length' holds text, but the model was trained on numbers in it"):
        predict(predict_cfg(ckpt, wordy))
    empty = tmp_path / "empty.csv"
    empty.write_text("island,length\nnorth,\nsouth,NA\n")
    with predict(predict_cfg(ckpt, empty)).open(newline="") as f:
        assert [r["predicted species"] in SPECIES for r in csv.DictReader(f)] == [True, True]


def test_a_regression_model_writes_values_in_the_targets_units(tmp_path):
    data = tmp_path / "houses.csv"
    data.write_text("rownames,rooms,price\n" + "".join(f"{i + 1},{i % 6},{1000 + 100 * (i % 6)}\n" for i in range(60)))
    cfg = compose_train(
        "debug=quiet", "data=csv", f"data.path={data}", "data.target=price", "data.task=regression",
        "trainer.max_epochs=40", "optimizer=adam", "optimizer.lr=0.05", output_dir=tmp_path / "run",
    )  # fmt: skip
    train(cfg)
    ckpt = read_metrics(tmp_path / "run")["last_checkpoint"]
    with predict(predict_cfg(ckpt, data)).open(newline="") as f:
        written = list(csv.DictReader(f))
    assert list(written[0]) == ["rownames", "rooms", "price", "predicted price"]
    errors = [abs(float(r["predicted price"]) - float(r["price"])) for r in written]
    assert max(errors) < 60  # prices run 1000 to 1500: the predictions are in the target's units
