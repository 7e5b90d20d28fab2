"""The synthetic data sets, the shared split and standardisation, and the breast-cancer data module."""

import sys

import pytest
import torch

from backprop_lab.data import synthetic
from backprop_lab.data.breast_cancer import BreastCancerDataModule
from backprop_lab.data.splits import split_order, split_rows, standardize
from backprop_lab.data.synthetic import SyntheticDataModule
from backprop_lab.errors import DataError

SAMPLERS = [synthetic.noisy_xor, synthetic.two_moons, synthetic.circles, synthetic.spirals, synthetic.blobs]


def sample(sampler, seed: int, n: int = 200, noise: float = 0.1):
    return sampler(n, noise, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("sampler", SAMPLERS, ids=lambda f: f.__name__)
def test_sampler_gives_two_balanced_classes_in_2d_and_depends_on_its_seed_alone(sampler):
    x, y = sample(sampler, seed=3)
    assert x.shape == (200, 2) and y.shape == (200,)
    assert set(y.tolist()) == {0.0, 1.0} and 0.3 < y.mean() < 0.7
    torch.manual_seed(12345)  # the global RNG must not matter
    again_x, again_y = sample(sampler, seed=3)
    assert torch.equal(x, again_x) and torch.equal(y, again_y)
    assert not torch.equal(x, sample(sampler, seed=4)[0])


def test_noise_moves_points_off_the_clean_shape():
    clean_x, y = sample(synthetic.circles, seed=0, noise=0.0)
    radius = clean_x.norm(dim=1)
    assert torch.allclose(radius, torch.where(y == 0, 1.0, 0.5), atol=1e-5)  # class 1 is the inner circle
    noisy_x, _ = sample(synthetic.circles, seed=0, noise=0.2)
    assert (noisy_x.norm(dim=1) - radius).abs().mean() > 0.05


def test_noisy_xor_labels_follow_the_nearest_corner():
    x, y = sample(synthetic.noisy_xor, seed=0, noise=0.05)
    corner = x.round()
    assert torch.equal(y, (corner[:, 0] != corner[:, 1]).float())


def test_blobs_drawn_in_chunks_and_in_split_order_are_the_plain_formula_bit_for_bit():
    """Blobs draw in chunks and write each row straight into its shuffled place (memory): the same values."""
    n, order = synthetic.CHUNK_ROWS + 1000, split_order(synthetic.CHUNK_ROWS + 1000, 3)  # two chunks of the stream
    centers = [[0.0, 1.0], [2.0, -1.0], [1.0, 1.0]]
    generator = torch.Generator().manual_seed(0)
    which = torch.randint(0, 3, (n,), generator=generator)
    plain = torch.randn((n, 2), generator=generator).mul_(0.5).add_(torch.tensor(centers)[which])
    kwargs = {"noise": 0.5, "centers": centers, "num_classes": 3}
    x, y = synthetic.blobs(n, generator=torch.Generator().manual_seed(0), **kwargs)
    assert torch.equal(x, plain) and torch.equal(y, which.float())
    in_order = synthetic.blobs(n, generator=torch.Generator().manual_seed(0), order=order, **kwargs)
    assert torch.equal(in_order[0], x[order]) and torch.equal(in_order[1], y[order])


def test_split_is_disjoint_complete_and_seeded():
    x, y = torch.arange(100.0).unsqueeze(1), torch.arange(100) % 2
    splits = split_rows(x, y, val_fraction=0.2, test_fraction=0.1, seed=0)
    rows = {name: sorted(s[0].squeeze(1).tolist()) for name, s in splits.items()}
    assert [len(rows[n]) for n in ("train", "val", "test")] == [70, 20, 10]
    assert sorted(rows["train"] + rows["val"] + rows["test"]) == list(range(100))
    assert torch.equal(split_rows(x, y, 0.2, 0.1, seed=0)["val"][0], splits["val"][0])
    assert not torch.equal(split_rows(x, y, 0.2, 0.1, seed=1)["val"][0], splits["val"][0])


def test_split_too_small_for_three_splits_is_a_clear_error():
    with pytest.raises(DataError, match="every split needs at least one row"):
        split_rows(torch.zeros(3, 1), torch.zeros(3), val_fraction=0.1, test_fraction=0.1, seed=0)


def test_standardisation_uses_the_training_split_only():
    splits = {"train": (torch.tensor([[0.0], [2.0]]), torch.zeros(2)), "val": (torch.tensor([[11.0]]), torch.zeros(1))}
    scaled = standardize(splits)
    assert scaled["train"][0].squeeze(1).tolist() == [-1.0, 1.0]  # mean 1, std 1
    assert scaled["val"][0].item() == 10.0  # (11 - 1) / 1: the val row did not move the statistics


def test_raw_rows_are_scaled_for_prediction_as_the_training_rows_were():
    """A model trained on standardised rows must see new raw rows (predict.py) scaled the same way."""
    dm = SyntheticDataModule(sampler=synthetic.two_moons, n_samples=500, noise=0.1, seed=0)
    raw = split_rows(*dm.load(), val_fraction=dm.val_fraction, test_fraction=dm.test_fraction, seed=dm.seed)
    torch.testing.assert_close(dm.prepare_inputs(raw["test"][0]), dm.splits["test"][0])
    assert not torch.allclose(raw["test"][0], dm.splits["test"][0])  # the scaling really does something
    unscaled = SyntheticDataModule(sampler=synthetic.two_moons, n_samples=500, noise=0.1, seed=0, standardize=False)
    torch.testing.assert_close(unscaled.prepare_inputs(raw["test"][0]), raw["test"][0])


def test_more_classes_than_the_limit_are_refused_before_a_point_is_drawn():
    def blobs(n_samples: int, noise: float, generator: torch.Generator, num_classes: int = 2) -> tuple:
        raise AssertionError("drawn")  # blobs makes a centre per class: a billion of them, 8 GB

    dm = SyntheticDataModule(sampler=blobs, noise=0.1, num_classes=10**9, max_classes=1000)
    with pytest.raises(DataError) as err:
        dm.setup()
    says = str(err.value)
    assert "data.num_classes=1000000000: the labels make 1,000,000,000 classes, more than data.max_classes=1000" in says


def test_synthetic_module_splits_and_standardises():
    dm = SyntheticDataModule(sampler=synthetic.two_moons, n_samples=500, noise=0.1, seed=0)
    train_x = dm.splits["train"][0]
    assert [len(dm.splits[s][0]) for s in ("train", "val", "test")] == [300, 100, 100]
    assert torch.allclose(train_x.mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(train_x.std(0, correction=0), torch.ones(2), atol=1e-4)


def test_breast_cancer_has_30_features_and_all_569_rows():
    dm = BreastCancerDataModule(seed=0)
    assert dm.input_shape == (30,)
    assert sum(len(dm.splits[s][0]) for s in ("train", "val", "test")) == 569


def test_breast_cancer_without_scikit_learn_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # makes `import sklearn...` raise ImportError
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(DataError) as err:
        BreastCancerDataModule().setup()
    assert "scikit-learn" in str(err.value) and 'pip install -e ".[sklearn]"' in str(err.value)
