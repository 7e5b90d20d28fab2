"""A loss that turns NaN stops training at that step, keeps the last good checkpoint, records the failure."""

import torch

from helpers import read_metrics

# The default tanh net stays finite even at lr=1e6 (tanh is bounded and the loss takes logits);
# leaky_relu is not bounded, so its weights overflow: the loss is NaN at step 4 (seed 0).
# One step an epoch, so the last good step has its own last.ckpt.
DIVERGING = [
    "model.net.activation=leaky_relu",
    "optimizer=sgd",
    "optimizer.lr=1e6",
    "trainer.max_epochs=20",
    "data.passes_per_epoch=1",
]


def test_nan_loss_stops_at_its_step_with_advice(train_run):
    proc, run_dir = train_run(*DIVERGING)
    assert proc.returncode == 2
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith("error: Training diverged: the loss became nan at step 4 (epoch 4)")
    assert "optimizer.lr=100000" in message and "Traceback" not in proc.stderr

    metrics = read_metrics(run_dir)
    assert metrics["status"] == "failed" and "TrainingDiverged" in metrics["error"]
    assert metrics["global_step"] == 4 and "test/acc" not in metrics["metrics"]
    last = torch.load(run_dir / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["global_step"] == 4  # the last good step
    assert all(torch.isfinite(t).all() for t in last["state_dict"].values())
