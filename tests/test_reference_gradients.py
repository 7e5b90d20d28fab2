"""The NumPy reference's backprop, checked against torch.autograd and finite differences."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from backprop_lab import reference as ref

from reference_twins import TORCH_ACTIVATIONS, torch_twin

REFERENCE_DIR = Path(ref.__file__).parent
ARCHITECTURES = {
    "no-hidden-3-1": [3, 1],
    "2-4-1": [2, 4, 1],
    "5-3-4-1": [5, 3, 4, 1],
    "4-6-5-3-1": [4, 6, 5, 3, 1],
}


def torch_loss(net: torch.nn.Module, X: np.ndarray, y: np.ndarray, from_logits: bool) -> torch.Tensor:
    logits = net(torch.from_numpy(X))
    target = torch.from_numpy(y).reshape(logits.shape)
    if from_logits:
        return torch.nn.BCEWithLogitsLoss()(logits, target)
    return torch.nn.BCELoss()(torch.sigmoid(logits), target)


def random_problem(sizes: list[int], seed: int, n: int = 7) -> tuple[ref.Params, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = [(rng.normal(size=(o, i)), rng.normal(size=o)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, 2, size=n).astype(float)
    return params, X, y


def case_id(sizes_name: str, activation: str, from_logits: bool) -> str:
    return f"{sizes_name}-{activation}-{'logits' if from_logits else 'probs'}"


CASES = [
    pytest.param(sizes, act, logits, id=case_id(name, act, logits))
    for name, sizes in ARCHITECTURES.items()
    for act in TORCH_ACTIVATIONS
    for logits in (True, False)
]


@pytest.mark.parametrize(("sizes", "activation", "from_logits"), CASES)
def test_loss_and_grads_match_torch_autograd(sizes, activation, from_logits):
    params, X, y = random_problem(sizes, seed=len(sizes) * 10 + len(activation))
    loss, grads = ref.loss_and_grads(params, X, y, activation, from_logits)

    net = torch_twin(params, activation)
    expected_loss = torch_loss(net, X, y, from_logits)
    expected_loss.backward()
    linears = [m for m in net if isinstance(m, torch.nn.Linear)]

    np.testing.assert_allclose(loss, expected_loss.item(), rtol=1e-12)
    for (dW, db), linear in zip(grads, linears, strict=True):
        assert dW.shape == linear.weight.shape and db.shape == linear.bias.shape
        np.testing.assert_allclose(dW, linear.weight.grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(db, linear.bias.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(("sizes", "activation", "from_logits"), CASES)
def test_grads_match_central_finite_differences(sizes, activation, from_logits):
    params, X, y = random_problem(sizes, seed=len(sizes) + len(activation))
    _, grads = ref.loss_and_grads(params, X, y, activation, from_logits)
    h = 1e-6
    for theta, g in zip(ref.flatten(params), ref.flatten(grads), strict=True):
        numeric = np.zeros_like(theta)
        for idx in np.ndindex(theta.shape):
            saved = theta[idx]
            theta[idx] = saved + h
            up, _ = ref.loss_and_grads(params, X, y, activation, from_logits)
            theta[idx] = saved - h
            down, _ = ref.loss_and_grads(params, X, y, activation, from_logits)
            theta[idx] = saved
            numeric[idx] = (up - down) / (2 * h)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("activation", list(TORCH_ACTIVATIONS))
def test_forward_values_and_deltas_match_torch(activation):
    """Every z_l, a_l matches torch, and delta_l is exactly dLoss/dz_l (torch's z.grad)."""
    params, X, y = random_problem([3, 5, 4, 1], seed=3)
    fwd = ref.forward(params, X, activation)
    back = ref.backward(params, fwd, y, activation)

    net = torch_twin(params, activation)
    a = torch.from_numpy(X)
    zs, activations = [], [a]
    for module in net:
        a = module(a)
        if isinstance(module, torch.nn.Linear):
            a.retain_grad()
            zs.append(a)
        else:
            activations.append(a)
    activations.append(zs[-1])
    torch.nn.BCEWithLogitsLoss()(zs[-1], torch.from_numpy(y).reshape(-1, 1)).backward()

    for mine, theirs in zip(fwd.z, zs, strict=True):
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=1e-12, atol=1e-15)
    for mine, theirs in zip(fwd.a, activations, strict=True):
        np.testing.assert_allclose(mine, theirs.detach().numpy(), rtol=1e-12, atol=1e-15)
    for mine, theirs in zip(back.delta, zs, strict=True):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_bce_with_logits_output_delta_is_sigmoid_minus_target_over_n():
    z = np.array([[-3.0], [-0.5], [0.0], [2.0], [7.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    _, delta = ref.output_delta(z, y, from_logits=True)
    np.testing.assert_allclose(delta, (ref.sigmoid(z) - y[:, None]) / len(y), rtol=1e-15)
    # The probability path reaches the same delta through dL/dp * dp/dz.
    _, delta_via_p = ref.output_delta(z, y, from_logits=False)
    np.testing.assert_allclose(delta_via_p, delta, rtol=1e-12)


def test_bce_with_logits_is_stable_for_huge_logits():
    z = np.array([[-1000.0], [1000.0], [-40.0], [40.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    zt = torch.from_numpy(z).requires_grad_()
    expected = torch.nn.BCEWithLogitsLoss()(zt, torch.from_numpy(y).reshape(-1, 1))
    expected.backward()
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = ref.bce_with_logits(z, y)
        grad = ref.bce_with_logits_grad(z, y)
    np.testing.assert_allclose(loss, expected.item(), rtol=1e-12)
    np.testing.assert_allclose(grad, zt.grad.numpy(), rtol=1e-12)


def test_sigmoid_derivative_x_times_one_minus_x_expects_the_output():
    """The article's sigmoid_derivative(x) = x * (1 - x) is right only for x = sigmoid(z)."""
    z = np.linspace(-4.0, 4.0, 9)
    zt = torch.from_numpy(z).requires_grad_()
    torch.sigmoid(zt).sum().backward()
    true_slope = zt.grad.numpy()

    np.testing.assert_allclose(ref.sigmoid_derivative_from_output(ref.sigmoid(z)), true_slope, rtol=1e-12)
    np.testing.assert_allclose(ref.sigmoid_prime(z), true_slope, rtol=1e-12)
    # Given the input instead, it is wrong almost everywhere, even negative:
    wrong = ref.sigmoid_derivative_from_output(z)
    assert wrong[z == 2.0].item() == -2.0
    assert true_slope[z == 2.0].item() == pytest.approx(0.104994, abs=1e-6)
    assert np.sum(np.isclose(wrong, true_slope)) == 0


@pytest.mark.parametrize("activation", list(TORCH_ACTIVATIONS))
def test_activation_derivatives_match_torch_including_at_zero(activation):
    z = np.array([-30.0, -2.0, -1e-3, 0.0, 1e-3, 0.5, 3.0, 30.0])
    f, f_prime = ref.get_activation(activation)
    zt = torch.from_numpy(z).requires_grad_()
    out = TORCH_ACTIVATIONS[activation]()(zt)
    out.sum().backward()
    np.testing.assert_allclose(f(z), out.detach().numpy(), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(f_prime(z), zt.grad.numpy(), rtol=1e-15, atol=1e-15)


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="choose from"):
        ref.forward(ref.init_params([2, 1]), np.zeros((1, 2)), "softplus")


def test_init_params_has_torch_linear_layout_and_bounds():
    params = ref.init_params([2, 3, 4, 1], seed=0)
    assert [(W.shape, b.shape) for W, b in params] == [
        ((3, 2), (3,)),
        ((4, 3), (4,)),
        ((1, 4), (1,)),
    ]
    for W, b in params:
        bound = 1 / np.sqrt(W.shape[1])
        assert np.all(np.abs(W) <= bound) and np.all(np.abs(b) <= bound)
    twin = torch_twin(params, "tanh")
    assert [p.shape for p in twin.parameters()] == [t.shape for t in ref.flatten(params)]


def test_reference_package_does_not_import_torch():
    src = str(REFERENCE_DIR.parents[1])
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }
    code = "import backprop_lab.reference, sys; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=60)


def test_reference_imports_only_numpy_stdlib_and_itself():
    allowed = {"numpy", "collections", "dataclasses", "typing", "__future__"}
    for path in REFERENCE_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert roots <= allowed, f"{path.name} imports {roots - allowed}"
