"""The article's script, as a user would write it: train XOR by hand, print the loss, exit.

The cold-start case times this file from process start to exit against
`scripts/train.py` training the same network for the same number of steps.
It imports torch alone, on purpose. `lightning_xor_script.py` trains the
same problem inside a bare Lightning `Trainer` and takes its arguments and
its network from here.
"""

import argparse

import torch
from torch import nn


def parse_args(description: str | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description or __doc__)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--passes-per-epoch", type=int, default=1, help="steps an epoch (Lightning's epochs)")
    parser.add_argument("--hidden", type=int, nargs="+", default=[8])
    parser.add_argument("--activation", default="Tanh", help="an torch.nn class name")
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="0 keeps torch's default")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    return args


def xor_problem(args: argparse.Namespace) -> tuple[nn.Sequential, torch.Tensor, torch.Tensor]:
    """The network (seeded, on the device) and XOR's four points with their targets."""
    torch.manual_seed(args.seed)
    layers: list[nn.Module] = []
    width = 2
    for size in args.hidden:
        layers += [nn.Linear(width, size), getattr(nn, args.activation)()]
        width = size
    net = nn.Sequential(*layers, nn.Linear(width, 1)).to(args.device)
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], device=args.device)
    y = torch.tensor([0.0, 1.0, 1.0, 0.0], device=args.device)
    return net, x, y


def main() -> None:
    args = parse_args()
    net, x, y = xor_problem(args)
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(args.steps):
        optimizer.zero_grad()
        loss = loss_fn(net(x).squeeze(-1), y)
        loss.backward()
        optimizer.step()
    print(f"loss {loss.item():.6f}")


if __name__ == "__main__":
    main()
