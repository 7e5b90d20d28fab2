"""The Wisconsin breast-cancer data set (569 tumours, 30 features), as scikit-learn ships it."""

from typing import Any

from backprop_lab.data.sklearn_sets import SklearnDataModule


class BreastCancerDataModule(SklearnDataModule):
    """30 measurements of a cell nucleus image -> 1 benign, 0 malignant (scikit-learn's labels)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="breast_cancer", **kwargs)
