"""Backpropagation on XOR, one layer at a time, next to torch's own numbers.

    python scripts/backprop_by_hand.py                     # one training step, explained
    python scripts/backprop_by_hand.py --hidden 2 --activation sigmoid --lr 1.0
    python scripts/backprop_by_hand.py --train             # train XOR with NumPy alone

The one-step mode runs the NumPy reference (backprop_lab.reference) and torch
autograd on the same network and prints both, then the largest difference.
The --train mode never imports torch.
"""

import argparse
from collections.abc import Sequence

import numpy as np

from backprop_lab import reference as ref
from backprop_lab.config.cli import positive_number, whole_number

OPTIMIZER_NAMES = {name.lower(): name for name in ref.OPTIMIZERS}  # "adamw" -> "AdamW"
DEFAULT_LR = {"sgd": 0.5, "adam": 0.05, "adamw": 0.05, "rmsprop": 0.02}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--hidden", type=whole_number(1, 3), nargs="+", default=[3], help="hidden layer widths (default: 3)"
    )
    parser.add_argument("--activation", choices=sorted(ref.ACTIVATIONS), default="tanh")
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZER_NAMES), default="sgd")
    parser.add_argument("--lr", type=positive_number(0.5), help=f"learning rate (default per optimizer: {DEFAULT_LR})")
    parser.add_argument("--seed", type=whole_number(0, 0), default=0, help="seed for the initial weights")
    parser.add_argument("--train", action="store_true", help="train to the end instead of one explained step")
    parser.add_argument("--epochs", type=whole_number(1, 2000), default=2000, help="full-batch steps for --train")
    args = parser.parse_args(argv)
    if args.lr is None:
        args.lr = DEFAULT_LR[args.optimizer]
    return args


def make_optimizer(args: argparse.Namespace) -> ref.Optimizer:
    return ref.OPTIMIZERS[OPTIMIZER_NAMES[args.optimizer]](lr=args.lr)


def side_by_side(**blocks: np.ndarray) -> str:
    """Print arrays next to each other under their names, e.g. numpy | torch."""
    texts = [[name, *np.array2string(np.asarray(value)).splitlines()] for name, value in blocks.items()]
    widths = [max(map(len, lines)) for lines in texts]
    height = max(map(len, texts))
    rows = []
    for i in range(height):
        cells = [(lines[i] if i < len(lines) else "").ljust(w) for lines, w in zip(texts, widths, strict=True)]
        rows.append("    " + "   |   ".join(cells).rstrip())
    return "\n".join(rows)


class Comparison:
    """Prints numpy-vs-torch pairs and remembers the largest difference seen."""

    def __init__(self) -> None:
        self.max_diff = 0.0

    def show(self, title: str, mine: np.ndarray, theirs: np.ndarray, **extra: np.ndarray) -> None:
        self.max_diff = max(self.max_diff, float(np.max(np.abs(np.asarray(mine) - np.asarray(theirs)))))
        print(f"  {title}")
        print(side_by_side(numpy=mine, torch=theirs, **extra))


def one_step(args: argparse.Namespace) -> None:
    import torch  # only this mode needs torch; the reference itself never imports it

    X, y = ref.xor_data()
    sizes = [2, *args.hidden, 1]
    act = args.activation
    params = ref.init_params(sizes, seed=args.seed)
    L = len(params)
    opt_name = OPTIMIZER_NAMES[args.optimizer]

    # The reference: forward, backward, one optimizer step.
    fwd = ref.forward(params, X, act)
    back = ref.backward(params, fwd, y, act)
    old = ref.copy_params(params)
    make_optimizer(args).step(ref.flatten(params), ref.flatten(back.grads))

    # torch: the same numbers in nn.Linear layers; retain_grad() exposes delta = dLoss/dz.
    torch_act = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "identity": lambda t: t,
    }[act]
    linears = []
    for W, b in old:
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        linears.append(linear)
    a_t, z_t, acts_t = torch.from_numpy(X), [], []
    for l, linear in enumerate(linears):
        z = linear(a_t)
        z.retain_grad()
        z_t.append(z)
        a_t = z if l == L - 1 else torch_act(z)
        acts_t.append(a_t)
    loss_t = torch.nn.BCEWithLogitsLoss()(z_t[-1], torch.from_numpy(y).reshape(-1, 1))
    loss_t.backward()
    torch_params = [p for linear in linears for p in linear.parameters()]
    getattr(torch.optim, opt_name)(torch_params, lr=args.lr).step()

    def t(x: torch.Tensor) -> np.ndarray:
        return x.detach().numpy()

    cmp = Comparison()
    print(f"XOR with a {'-'.join(map(str, sizes))} network, hidden activation {act}, seed {args.seed}")
    print(f"loss: binary cross-entropy on the output logit, mean over the {len(y)} rows")
    print(f"one step of {opt_name}(lr={args.lr}); each row of a batch array below is one XOR sample\n")
    print(side_by_side(X=X, y=y[:, None]))

    print("\n=== Forward pass: z_l = a_(l-1) @ W_l.T + b_l,  a_l = f(z_l),  a_0 = X ===")
    for l in range(L):
        what = "the output logit" if l == L - 1 else f"layer {l + 1} pre-activation"
        cmp.show(f"z{l + 1}  ({what})", fwd.z[l], t(z_t[l]))
        if l < L - 1:
            cmp.show(f"a{l + 1} = {act}(z{l + 1})", fwd.a[l + 1], t(acts_t[l]))
    p = ref.sigmoid(fwd.logits)
    cmp.show(f"p = sigmoid(z{L})  (predicted P(y=1))", p, t(torch.sigmoid(z_t[-1])))
    cmp.show("loss", np.array(back.loss), np.array(loss_t.item()))

    print("\n=== Backward pass: delta_l = dLoss/dz_l (torch: z_l.grad) ===")
    print(f"  output delta: delta{L} = (sigmoid(z{L}) - y) / N")
    print(f"  then, going down: delta_(l-1) = (delta_l @ W_l) * {act}'(z_(l-1))")
    print("  and for every layer: dW_l = delta_l.T @ a_(l-1),  db_l = delta_l summed over rows")
    for l in reversed(range(L)):
        cmp.show(f"delta{l + 1}", back.delta[l], t(z_t[l].grad))
        cmp.show(f"dW{l + 1}", back.grads[l][0], t(linears[l].weight.grad))
        cmp.show(f"db{l + 1}", back.grads[l][1], t(linears[l].bias.grad))

    print(f"\n=== Update: {opt_name}(lr={args.lr}) ===")
    if opt_name == "SGD":
        print("  plain SGD: update = -lr * gradient,  new = old + update")
    for l in range(L):
        for k, name in enumerate(("W", "b")):
            before, after = old[l][k], params[l][k]
            torch_after = t(torch_params[2 * l + k])
            print(f"  {name}{l + 1}")
            print(
                side_by_side(
                    old=before,
                    update=after - before,
                    **{"new (numpy)": after, "new (torch)": torch_after},
                )
            )
            cmp.max_diff = max(cmp.max_diff, float(np.max(np.abs(after - torch_after))))

    new_loss, _ = ref.loss_and_grads(params, X, y, act)
    print(f"\nloss before the step: {back.loss:.6f}   after: {new_loss:.6f}")
    print(f"max |difference| numpy vs torch (every number above): {cmp.max_diff:.3e}")


def train(args: argparse.Namespace) -> None:
    X, y = ref.xor_data()
    sizes = [2, *args.hidden, 1]
    print(
        f"training XOR with NumPy only: {'-'.join(map(str, sizes))} {args.activation} network, "
        f"{OPTIMIZER_NAMES[args.optimizer]}(lr={args.lr}), {args.epochs} full-batch steps, "
        f"seed {args.seed}"
    )
    result = ref.train(sizes, args.activation, X, y, make_optimizer(args), args.epochs, seed=args.seed)
    every = max(1, args.epochs // 10)
    for epoch in range(0, args.epochs, every):
        print(f"  step {epoch:6d}   loss {result.losses[epoch]:.6f}")
    final_loss, _ = ref.loss_and_grads(result.params, X, y, args.activation)
    print(f"  step {args.epochs:6d}   loss {final_loss:.6f}  (final)")

    probs = ref.predict_proba(result.params, X, args.activation)
    print("\n  x1  x2 | target | P(y=1) | predicted")
    for (x1, x2), target, prob in zip(X, y, probs, strict=True):
        mark = "ok" if (prob > 0.5) == (target > 0.5) else "WRONG"
        print(f"  {x1:2.0f}  {x2:2.0f} | {target:6.0f} | {prob:6.4f} | {int(prob > 0.5):9d}  {mark}")
    correct = int(ref.accuracy(result.params, X, y, args.activation) * len(y))
    print(f"\ncorrect: {correct}/{len(y)}")
    if correct < len(y):
        print("XOR has flat regions and poor local minima, worst with only 2 hidden units:")
        print("try another --seed, more --epochs, a different --lr, or a wider --hidden.")


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    with np.printoptions(precision=4, suppress=True, floatmode="fixed", sign=" "):
        if args.train:
            train(args)
        else:
            one_step(args)


if __name__ == "__main__":
    main()
