"""Optimizers written from their published update rules, with torch.optim's exact semantics.

Each class takes the same keyword arguments, with the same defaults, as its
torch.optim namesake, so one config can build either. `step(params, grads)`
updates a list of NumPy arrays in place; per-parameter state (momentum buffers,
moment estimates) lives in the optimizer, one entry per array, matched by position.
Symbols: theta = parameter, g = its gradient, t = step count starting at 1.
"""

from typing import Any

import numpy as np

Array = np.ndarray


class Optimizer:
    """Shared bookkeeping: a step counter and one state dict per parameter position."""

    def __init__(self) -> None:
        self.t = 0
        self.state: list[dict[str, Array]] = []

    def step(self, params: list[Array], grads: list[Array]) -> None:
        if len(params) != len(grads):
            raise ValueError(f"{len(params)} params but {len(grads)} grads")
        if not self.state:
            self.state = [{} for _ in params]
        self.t += 1
        for theta, g, state in zip(params, grads, self.state, strict=True):
            self.update(theta, np.asarray(g, dtype=theta.dtype), state)

    def update(self, theta: Array, g: Array, state: dict[str, Array]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """theta -= lr * g, optionally with L2 weight decay and (Nesterov) momentum.

    Momentum buffer: b_1 = g on the first step (no dampening), then
    b_t = momentum * b_{t-1} + (1 - dampening) * g. The step uses b_t, or
    g + momentum * b_t with nesterov=True.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__()
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov needs momentum > 0 and dampening = 0")
        self.lr, self.momentum, self.dampening = lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov

    def update(self, theta: Array, g: Array, state: dict[str, Array]) -> None:
        if self.weight_decay:
            g = g + self.weight_decay * theta
        if self.momentum:
            if "buf" not in state:
                state["buf"] = g.copy()
            else:
                state["buf"] = self.momentum * state["buf"] + (1 - self.dampening) * g
            g = g + self.momentum * state["buf"] if self.nesterov else state["buf"]
        theta -= self.lr * g


class Adam(Optimizer):
    """Adam: step along a running mean of g, scaled by a running RMS of g.

    m_t = b1 m + (1 - b1) g,  v_t = b2 v + (1 - b2) g^2
    theta -= lr * (m_t / (1 - b1^t)) / (sqrt(v_t / (1 - b2^t)) + eps)
    The (1 - b^t) bias corrections undo the zero start of m and v.
    weight_decay is *coupled* L2 (g += wd * theta, so it also passes through the
    RMS scaling) unless decoupled_weight_decay=True, which is AdamW.
    amsgrad=True uses the largest v seen so far, so the step size never grows back.
    """

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__()
        self.lr, self.betas, self.eps = lr, tuple(betas), eps
        self.weight_decay, self.amsgrad = weight_decay, amsgrad
        self.decoupled_weight_decay = decoupled_weight_decay

    def update(self, theta: Array, g: Array, state: dict[str, Array]) -> None:
        b1, b2 = self.betas
        if self.weight_decay:
            if self.decoupled_weight_decay:
                theta *= 1 - self.lr * self.weight_decay
            else:
                g = g + self.weight_decay * theta
        m = state["m"] = b1 * state.get("m", 0.0) + (1 - b1) * g
        v = state["v"] = b2 * state.get("v", 0.0) + (1 - b2) * g * g
        if self.amsgrad:
            v = state["v_max"] = np.maximum(state.get("v_max", v), v)
        m_hat_scale = 1 - b1**self.t
        v_hat = v / (1 - b2**self.t)
        theta -= self.lr / m_hat_scale * m / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with *decoupled* weight decay: theta *= 1 - lr * wd before the Adam step.

    The decay shrinks weights directly instead of being added to g, so Adam's
    per-parameter scaling cannot weaken it (Loshchilov & Hutter, 2019).
    """

    def __init__(
        self,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)


class RMSprop(Optimizer):
    """RMSprop: divide g by a running RMS of recent gradients.

    s_t = alpha s + (1 - alpha) g^2;  centered: also gbar_t = alpha gbar + (1 - alpha) g
    and use s_t - gbar_t^2 (a variance) instead of s_t.
    denom = sqrt(...) + eps;  theta -= lr * g / denom, or with momentum
    buf_t = momentum buf + g / denom and theta -= lr * buf_t.
    """

    def __init__(
        self,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__()
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.weight_decay, self.momentum, self.centered = weight_decay, momentum, centered

    def update(self, theta: Array, g: Array, state: dict[str, Array]) -> None:
        a = self.alpha
        if self.weight_decay:
            g = g + self.weight_decay * theta
        s = state["s"] = a * state.get("s", 0.0) + (1 - a) * g * g
        if self.centered:
            gbar = state["gbar"] = a * state.get("gbar", 0.0) + (1 - a) * g
            s = s - gbar * gbar
        denom = np.sqrt(s) + self.eps
        if self.momentum > 0:
            buf = state["buf"] = self.momentum * state.get("buf", 0.0) + g / denom
            theta -= self.lr * buf
        else:
            theta -= self.lr * g / denom


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "SGD": SGD,
    "Adam": Adam,
    "AdamW": AdamW,
    "RMSprop": RMSprop,
}
"""torch.optim class name -> reference class, e.g. OPTIMIZERS["Adam"](lr=0.01)."""


def from_target(target: str, **kwargs: Any) -> Optimizer:
    """Build the reference optimizer for a Hydra `_target_` such as "torch.optim.AdamW"."""
    return OPTIMIZERS[target.rsplit(".", 1)[-1]](**kwargs)
