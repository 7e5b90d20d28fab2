"""The NumPy reference's softmax cross-entropy and MSE, against autograd and against the template's own training."""

import numpy as np
import pytest
import torch
from torch import nn

from backprop_lab import reference as ref
from backprop_lab.train import build

from helpers import compose_train
from reference_twins import linear_params, optimizer_kwargs, torch_twin

TORCH_LOSSES = {"softmax_ce": (nn.CrossEntropyLoss, 3), "mse": (nn.MSELoss, 1)}


@pytest.mark.parametrize("loss", list(TORCH_LOSSES))
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_new_losses_gradients_match_autograd(loss, activation):
    torch_loss, outputs = TORCH_LOSSES[loss]
    rng = np.random.default_rng(len(loss) + len(activation))
    sizes = [4, 6, 5, outputs]
    params = [(rng.normal(size=(o, i)), rng.normal(size=o)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    X = rng.normal(size=(9, 4))
    y = rng.integers(0, 3, size=9).astype(float) if loss == "softmax_ce" else rng.normal(size=9) * 3
    value, grads = ref.loss_and_grads(params, X, y, activation, loss=loss)

    net = torch_twin(params, activation)
    out = net(torch.from_numpy(X))
    target = torch.from_numpy(y).long() if loss == "softmax_ce" else torch.from_numpy(y).reshape(-1, 1)
    expected = torch_loss()(out, target)
    expected.backward()
    np.testing.assert_allclose(value, expected.item(), rtol=1e-12)
    for (dW, db), linear in zip(grads, [m for m in net if isinstance(m, nn.Linear)], strict=True):
        np.testing.assert_allclose(dW, linear.weight.grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(db, linear.bias.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    ("data", "loss", "outputs"),
    [
        (["data=blobs", "data.num_classes=3", "data.n_samples=60"], "softmax_ce", 3),
        (["data=diabetes"], "mse", 1),
    ],
    ids=["multiclass", "regression"],
)
def test_template_steps_equal_the_numpy_reference_for_the_other_tasks(tmp_path, data, loss, outputs):
    steps = 30
    bare = ["debug=bare", "trainer.accelerator=cpu"]
    overrides = [*bare, *data, "data.batch_size=null", "optimizer=adam", f"trainer.max_epochs={steps}"]
    cfg = compose_train(*overrides, output_dir=tmp_path)
    datamodule, model, trainer = build(cfg)
    initial = linear_params(model.net)
    trainer.fit(model, datamodule=datamodule)
    final = linear_params(model.net)

    x, y = datamodule.splits["train"]
    kwargs = optimizer_kwargs(cfg)
    optimizer = ref.from_target(kwargs.pop("target"), **kwargs)
    sizes = [x.shape[1], *cfg.model.net.hidden, outputs]
    X, Y = x.double().numpy(), y.double().numpy()
    expected = ref.train(sizes, cfg.model.net.activation, X, Y, optimizer, steps, params=initial, loss=loss).params

    moved = max(np.abs(a - b).max() for (a, _), (b, _) in zip(initial, final, strict=True))
    assert moved > 1e-2, "training must have changed the weights for the comparison to mean anything"
    for (w, b), (w_ref, b_ref) in zip(final, expected, strict=True):
        np.testing.assert_allclose(w, w_ref, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(b, b_ref, rtol=1e-4, atol=1e-5)
