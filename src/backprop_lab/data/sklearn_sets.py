"""The small real data sets that ship inside scikit-learn: nothing is downloaded.

scikit-learn is an optional extra (`pip install -e ".[sklearn]"`), imported
only when the data are loaded. Each set declares its task and class names.
"""

from collections.abc import Callable
from typing import Any

import torch

from backprop_lab.data.splits import SplitDataModule
from backprop_lab.data.tensors import Split
from backprop_lab.errors import DataError

# name -> (scikit-learn loader name, task). Class names come from the loader's `target_names`.
SETS: dict[str, tuple[str, str]] = {
    "iris": ("load_iris", "multiclass"),
    "wine": ("load_wine", "multiclass"),
    "digits": ("load_digits", "multiclass"),
    "breast_cancer": ("load_breast_cancer", "binary"),
    "diabetes": ("load_diabetes", "regression"),
}


def _loader(name: str) -> Callable[..., Any]:
    try:
        import sklearn.datasets
    except ImportError as err:
        raise DataError(
            f"data={name} needs scikit-learn, which ships the data set, and it is not installed "
            f'({err}). Install the optional extra: pip install -e ".[sklearn]" (or pip install '
            "'scikit-learn>=1.3'), then run again."
        ) from err
    return getattr(sklearn.datasets, SETS[name][0])


class SklearnDataModule(SplitDataModule):
    """One of `SETS` by `name`: iris, wine, digits (multi-class), breast_cancer (binary), diabetes (regression).

    `as_images=true` gives the digits as 1x8x8 images (N, 1, 8, 8) instead of 64 features, for a conv net.
    """

    def __init__(self, name: str, as_images: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if name not in SETS:
            raise DataError(f"data.name={name!r} is not a scikit-learn data set here: use one of {', '.join(SETS)}.")
        if as_images and name != "digits":
            raise DataError(f"data.as_images=true is for data=digits (8x8 images); {name} has rows of features.")
        self.name = name
        self.as_images = as_images
        self.task = SETS[name][1]

    def load(self) -> Split:
        bunch = _loader(self.name)()
        if self.task != "regression":
            self.declared_class_names = [str(n) for n in bunch.target_names]
        x = torch.from_numpy(bunch.images).unsqueeze(1) if self.as_images else torch.from_numpy(bunch.data)
        return x.float(), torch.from_numpy(bunch.target).float()
