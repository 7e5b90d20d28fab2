"""The training tally reports what torchmetrics would: batch-weighted mean loss, accuracy at logit 0."""

import torch
from torchmetrics import MeanMetric
from torchmetrics.classification import BinaryAccuracy

from backprop_lab.models.tally import TrainTally


def test_tally_equals_torchmetrics_over_uneven_batches():
    generator = torch.Generator().manual_seed(0)
    tally, mean, accuracy = TrainTally(), MeanMetric(), BinaryAccuracy()
    for size in (7, 3, 1):
        logits = torch.randn(size, generator=generator) * 3
        logits[0] = 0.0  # exactly on the threshold: sigmoid 0.5 counts as class 0 in both
        target = torch.randint(0, 2, (size,), generator=generator).float()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
        tally.update(loss, logits, target)
        mean.update(loss, weight=size)
        accuracy.update(torch.sigmoid(logits), target.long())
    values = tally.compute("train/")
    torch.testing.assert_close(values["train/loss"], mean.compute())
    torch.testing.assert_close(values["train/acc"], accuracy.compute())

    tally.reset()
    tally.update(torch.tensor(2.0), torch.tensor([1.0]), torch.tensor([1.0]))
    assert tally.compute("train/")["train/loss"].item() == 2.0
