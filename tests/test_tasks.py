"""Binary, multi-class and regression through one code path: train, eval and predict follow the data's task."""

from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir

from backprop_lab.data.targets import class_names_for
from backprop_lab.errors import ConfigError, DataError, UserError
from backprop_lab.evaluate import evaluate
from backprop_lab.predict import predict
from backprop_lab.train import build, train

from helpers import CONFIGS, compose_train, read_metrics

QUICK = ("logger=none", "~callbacks.loss_landscape", "~callbacks.progress_bar", "torch_threads=1")


def train_in_process(run_dir: Path, *overrides: str) -> dict:
    train(compose_train(*QUICK, *overrides, output_dir=run_dir))
    return read_metrics(run_dir)


def eval_in_process(ckpt: str, run_dir: Path) -> dict:
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose("eval", overrides=[f"ckpt_path={ckpt}", f"paths.output_dir={run_dir}", "logger=none"])
    return evaluate(cfg)


def predict_in_process(ckpt: str, rows: list) -> list:
    with initialize_config_dir(config_dir=str(CONFIGS), version_base="1.3"):
        cfg = compose("predict", overrides=[f"ckpt_path={ckpt}", f"inputs={rows}"])
    return predict(cfg)


def test_multiclass_trains_evaluates_and_predicts_by_class_name(tmp_path, capsys):
    summary = train_in_process(
        tmp_path / "run", "experiment=iris", "trainer.max_epochs=15", "model.net.hidden=[8]", "data.batch_size=32"
    )
    assert summary["status"] == "success"
    assert {"test/acc", "test/f1", "test/auroc", "train/acc", "val/f1"} <= set(summary["metrics"])
    assert summary["metrics"]["test/acc"] > 0.8
    ckpt = summary["last_checkpoint"]
    record = torch.load(ckpt, weights_only=True)["backprop_lab"]
    assert (record["task"], record["num_classes"]) == ("multiclass", 3)
    assert record["class_names"] == ["setosa", "versicolor", "virginica"]
    metrics = eval_in_process(summary["best_checkpoint"], tmp_path / "eval")
    assert metrics["test/acc"] == pytest.approx(summary["metrics"]["test/acc"])
    capsys.readouterr()
    ((row, probs, name),) = predict_in_process(ckpt, [[5.1, 3.5, 1.4, 0.2]])  # a textbook setosa
    printed = capsys.readouterr().out
    assert "p(setosa)\tp(versicolor)\tp(virginica)\tclass" in printed
    assert len(probs) == 3 and sum(probs) == pytest.approx(1.0) and name == "setosa"


def test_regression_csv_reports_metrics_and_predictions_in_the_targets_units(tmp_path, capsys):
    generator = torch.Generator().manual_seed(0)
    a = torch.rand(200, generator=generator)
    price = 1000 + 500 * a + 5 * torch.randn(200, generator=generator)
    path = tmp_path / "houses.csv"
    lines = (f"{x:.4f},{y:.2f}\n" for x, y in zip(a.tolist(), price.tolist(), strict=True))
    path.write_text("a,price\n" + "".join(lines))
    summary = train_in_process(
        tmp_path / "run", "data=csv", f"data.path={path}", "data.target=price", "data.task=regression",
        "optimizer=adam", "optimizer.lr=0.03", "trainer.max_epochs=40", "data.batch_size=32",
    )  # fmt: skip
    metrics = summary["metrics"]
    assert "train/acc" not in metrics and metrics["test/r2"] > 0.9
    assert metrics["test/mae"] < 50  # in the price's units: the spread of the prices is about 145
    record = torch.load(summary["last_checkpoint"], weights_only=True)["backprop_lab"]
    assert record["task"] == "regression" and record["preprocessing"]["target_std"] > 100
    best = eval_in_process(summary["best_checkpoint"], tmp_path / "eval")
    assert best["test/r2"] == pytest.approx(metrics["test/r2"])
    capsys.readouterr()
    ((_, value, _),) = predict_in_process(summary["last_checkpoint"], [[0.5]])
    assert "predicted price" in capsys.readouterr().out
    assert value == pytest.approx(1250, abs=60)


def test_csv_text_labels_become_classes(tmp_path):
    rows = [(i % 3, (i * 7) % 5, ["cat", "dog", "emu"][i % 3]) for i in range(60)]
    path = tmp_path / "pets.csv"
    path.write_text("a,b,kind\n" + "".join(f"{a},{b},{k}\n" for a, b, k in rows))
    datamodule, model, _ = build(compose_train(*QUICK, "data=csv", f"data.path={path}", "data.target=kind"))
    assert (datamodule.task, datamodule.class_names) == ("multiclass", ["cat", "dog", "emu"])
    assert model.task.name == "multiclass" and model.net.output.out_features == 3


def test_blobs_with_four_classes_is_multiclass_and_the_binary_default_is_unchanged():
    datamodule, model, _ = build(compose_train(*QUICK, "data=blobs", "data.num_classes=4"))
    assert datamodule.num_classes == 4 and sorted(set(datamodule.splits["train"][1].tolist())) == [0, 1, 2, 3]
    assert model(torch.zeros(5, 2)).shape == (5, 4)
    datamodule, model, _ = build(compose_train(*QUICK, "data=xor"))
    assert (datamodule.task, model.task.name, model(torch.zeros(5, 2)).shape) == ("binary", "binary", (5,))


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ("data=iris model.task=binary", "model.task=binary does not match the data, which declare the multiclass"),
        ("data=xor model.task=classify", "model.task='classify' is not a task"),
        ("data=diabetes model.loss=hinge", "model.loss='hinge' is not allowed"),
        ("data=moons data.num_classes=3", "data.num_classes=3 is not allowed here"),
    ],
)
def test_a_model_or_data_that_do_not_fit_are_refused_before_training(overrides, says):
    with pytest.raises(ConfigError, match=r".*") as err:
        build(compose_train(*QUICK, *overrides.split()))
    assert says in str(err.value)


@pytest.mark.parametrize(
    ("task", "labels", "says"),
    [
        ("binary", [0, 1, 2], "declared binary (labels 0 and 1) but the targets hold 0, 1, 2"),
        ("multiclass", [0, 1.5, 2], "a classifier needs class labels 0, 1, 2, ... but the targets hold 1.5"),
        ("multiclass", [2, 0.5, -1, 0, -1], "but the targets hold -1, 0.5. For a numeric target"),
        ("binary", [1, 1, 1], "every target is the class 1"),
        ("regression", [1.0, float("nan")], "NaN or inf"),
        ("multiclass", [0, float("inf")], "NaN or inf"),
        ("multiclass", [0, 1, 2, 9], "the labels make 10 classes, more than data.max_classes=4. A classifier"),
    ],
)
def test_labels_that_do_not_fit_the_task_are_refused(task, labels, says):
    with pytest.raises(DataError) as err:
        class_names_for(task, torch.tensor(labels, dtype=torch.float32), None, "the data", max_classes=4)
    assert says in str(err.value)


def _images(run_dir: Path) -> dict:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    images = {}
    for events in (run_dir / "tensorboard").rglob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events), size_guidance={"images": 0})
        accumulator.Reload()
        images.update({tag: accumulator.Images(tag) for tag in accumulator.Tags()["images"]})
    return images


@pytest.mark.parametrize(
    ("overrides", "tag"),
    [(["data=blobs", "data.num_classes=3"], "decision_boundary"), (["data=diabetes"], "predicted_vs_true")],
    ids=["multiclass regions", "regression scatter"],
)
def test_telemetry_draws_the_tasks_picture(tmp_path, overrides, tag):
    run_dir = tmp_path / "run"
    train(compose_train(*overrides, "trainer.max_epochs=2", "~callbacks.loss_landscape", "~callbacks.progress_bar",
                        "callbacks.decision_boundary.every_n_epochs=1", output_dir=run_dir))  # fmt: skip
    assert read_metrics(run_dir)["status"] == "success"
    images = _images(run_dir)
    assert len(images[tag]) == 3  # the initial weights, then every epoch
    if tag == "decision_boundary":
        from io import BytesIO

        import numpy as np
        from PIL import Image

        pixels = np.asarray(Image.open(BytesIO(images[tag][-1].encoded_image_string)).convert("RGB"))
        r, g, b = (pixels[..., i].astype(int) for i in range(3))
        green = (g > r + 30) & (g > b + 30)  # class 2's region: a colour the binary blue-white-red scale never has
        assert 0.05 < green.mean() < 0.6


def test_eval_refuses_data_whose_number_of_classes_is_not_the_checkpoints(tmp_path):
    path = tmp_path / "pets.csv"
    path.write_text("a,kind\n" + "".join(f"{i % 3},{['cat', 'dog', 'emu'][i % 3]}\n" for i in range(30)))
    summary = train_in_process(tmp_path / "run", "data=csv", f"data.path={path}", "data.target=kind",
                               "trainer.max_epochs=1")  # fmt: skip
    path.write_text("a,kind\n" + "".join(f"{i % 4},{['cat', 'dog', 'emu', 'fox'][i % 4]}\n" for i in range(40)))
    with pytest.raises(UserError, match="trained for the multiclass task with 3 classes, but the data hold the "
                                        "multiclass task with 4 classes"):  # fmt: skip
        eval_in_process(summary["last_checkpoint"], tmp_path / "eval")
