"""The template's training is the textbook math and nothing else.

The LightningModule and Trainer, built from the Hydra configs exactly as
`scripts/train.py` builds them, train XOR full batch; the NumPy reference
(`backprop_lab.reference`, hand-written backprop and update rules) trains
the same network from the same initial weights. Both must end at the same
parameters. If Lightning's zero_grad/backward/step loop did anything beyond
theta <- update(theta, grad L), they would drift apart.
"""

import numpy as np
import pytest
import torch
from torch import nn

from backprop_lab import reference as ref
from backprop_lab.train import build

from helpers import compose_train
from reference_twins import linear_params, optimizer_kwargs

# Bare training: no callbacks, loggers, checkpoints or validation to pay for; one full-batch step an epoch.
BARE = ["debug=bare", "trainer.accelerator=cpu", "data.passes_per_epoch=1"]


def train_template(tmp_path, *overrides: str, bare: tuple[str, ...] = tuple(BARE)):
    cfg = compose_train(*bare, *overrides, output_dir=tmp_path)
    datamodule, model, trainer = build(cfg)
    initial = linear_params(model.net)
    trainer.fit(model, datamodule=datamodule)
    return cfg, initial, linear_params(model.net), trainer.global_step


@pytest.mark.parametrize(
    "overrides",
    [
        ["optimizer=sgd"],
        ["optimizer=sgd", "optimizer.momentum=0", "optimizer.lr=0.1"],
        ["optimizer=sgd", "optimizer.nesterov=true", "optimizer.weight_decay=0.01"],
        ["optimizer=adam"],
        ["optimizer=adamw"],
        ["optimizer=rmsprop"],
        ["optimizer=rmsprop", "optimizer.centered=true", "optimizer.momentum=0.5"],
        ["optimizer=adam", "model.net.hidden=[5,3]", "model.net.activation=sigmoid"],
    ],
    ids=lambda o: " ".join(o),
)
def test_template_steps_equal_the_numpy_reference(tmp_path, overrides):
    steps = 40
    cfg, initial, final, _ = train_template(tmp_path, *overrides, f"trainer.max_epochs={steps}")
    kwargs = optimizer_kwargs(cfg)
    optimizer = ref.from_target(kwargs.pop("target"), **kwargs)
    sizes = [2, *cfg.model.net.hidden, 1]
    X, y = ref.xor_data()
    expected = ref.train(sizes, cfg.model.net.activation, X, y, optimizer, steps, params=initial).params

    moved = max(np.abs(a - b).max() for (a, _), (b, _) in zip(initial, final, strict=True))
    assert moved > 1e-2, "training must have changed the weights for the comparison to mean anything"
    for (w, b), (w_ref, b_ref) in zip(final, expected, strict=True):
        np.testing.assert_allclose(w, w_ref, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(b, b_ref, rtol=1e-4, atol=1e-5)


@pytest.mark.slow
def test_article_network_matches_a_hand_written_loop(tmp_path):
    """`experiment=seed_article`: the article's program, run by Lightning and by hand, step for step."""
    # The experiment's own step count: no data.passes_per_epoch override here.
    _, initial, final, steps = train_template(
        tmp_path, "experiment=seed_article", bare=("debug=bare", "trainer.accelerator=cpu")
    )
    assert steps == 1000  # 1000 full-batch steps, as in the article

    # The article's own loop: Linear + Sigmoid, BCELoss, zero_grad / backward / step.
    ((w0, b0),) = initial
    net = nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(w0).float())
        net[0].bias.copy_(torch.from_numpy(b0).float())
    X = torch.tensor([[0.0, 0], [0, 1], [1, 0], [1, 1]])
    Y = torch.tensor([[0.0], [1], [1], [0]])
    criterion, optimizer = nn.BCELoss(), torch.optim.SGD(net.parameters(), lr=0.1)
    for _ in range(1000):
        optimizer.zero_grad()
        loss = criterion(net(X), Y)
        loss.backward()
        optimizer.step()

    ((w, b),) = final
    np.testing.assert_allclose(w, net[0].weight.detach().double().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, net[0].bias.detach().double().numpy(), rtol=1e-5, atol=1e-6)
    # And it has learned what a straight line can: nothing. The loss sits near ln 2.
    assert abs(loss.item() - np.log(2)) < 0.01
