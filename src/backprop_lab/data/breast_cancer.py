"""The Wisconsin breast-cancer data set (569 tumours, 30 features), as scikit-learn ships it.

The data are a file inside the scikit-learn package: nothing is downloaded.
scikit-learn is an optional extra (`pip install -e ".[sklearn]"`), imported
only when the data are loaded.
"""

import torch

from backprop_lab.data.errors import DataError
from backprop_lab.data.splits import SplitDataModule
from backprop_lab.data.tensors import Split


class BreastCancerDataModule(SplitDataModule):
    """30 measurements of a cell nucleus image -> 1 benign, 0 malignant (scikit-learn's labels)."""

    def load(self) -> Split:
        try:
            from sklearn.datasets import load_breast_cancer
        except ImportError as err:
            raise DataError(
                "data=breast_cancer needs scikit-learn, which ships the data set, and it is not installed "
                f'({err}). Install the optional extra: pip install -e ".[sklearn]" (or pip install '
                "'scikit-learn>=1.3'), then run again."
            ) from err
        x, y = load_breast_cancer(return_X_y=True)
        return torch.from_numpy(x).float(), torch.from_numpy(y).float()
