"""The article's script inside Lightning, as a user would first write it: a LightningModule, a bare Trainer.

The cold-start case times this file beside `plain_xor_script.py` (the same
network, seed, optimizer and steps, without Lightning) and `scripts/train.py`.
Its time over the plain script's is what importing Lightning and running its
loop cost any template built on Lightning's `Trainer`; the template's time
over this one is what the template adds. Of the template it imports only
the pieces of its training `DataLoader` (`TensorRows`, `stacked`, `Passes`),
so both draw XOR's full batch through the same data path. The `Trainer` has
no logger, checkpoint, progress bar, summary or validation; Lightning's
automatic optimization runs zero_grad, backward and step.
"""

import lightning as L
import torch
from plain_xor_script import parse_args, xor_problem
from torch import nn
from torch.utils.data import DataLoader, SequentialSampler

from backprop_lab.data.tensors import Passes, TensorRows, stacked


class XOR(L.LightningModule):
    def __init__(self, net: nn.Module, lr: float, momentum: float) -> None:
        super().__init__()
        self.net, self.lr, self.momentum = net, lr, momentum
        self.loss_fn = nn.BCEWithLogitsLoss()
        self.last_loss = torch.tensor(float("nan"))

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = self.loss_fn(self.net(x).squeeze(-1), y)
        self.last_loss = loss.detach()
        return loss

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.lr, momentum=self.momentum)


def full_batches(x: torch.Tensor, y: torch.Tensor, passes: int) -> DataLoader:
    """XOR's four points as one batch, `passes` times an epoch: the loader the template's data module builds."""
    rows = TensorRows(x, y)
    return DataLoader(rows, batch_sampler=Passes(SequentialSampler(rows), len(rows), passes=passes), collate_fn=stacked)


def main() -> None:
    args = parse_args(__doc__)
    net, x, y = xor_problem(args)
    module = XOR(net, args.lr, args.momentum)
    trainer = L.Trainer(
        accelerator="gpu" if args.device.startswith("cuda") else "cpu",
        devices=1,
        max_epochs=args.steps // args.passes_per_epoch,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, train_dataloaders=full_batches(x, y, args.passes_per_epoch))
    print(f"loss {module.last_loss.item():.6f}")


if __name__ == "__main__":
    main()
