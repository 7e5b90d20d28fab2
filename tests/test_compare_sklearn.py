"""The template reaches its floors against scikit-learn's baselines (one seed; the docs' table has five)."""

import numpy as np
import pytest

from backprop_lab.analysis.sklearn_baseline import EXPERIMENTS, compare, markdown_table


@pytest.mark.slow
def test_every_real_data_set_reaches_its_floor_on_seed_0():
    rows = compare(list(EXPERIMENTS), [0])
    table = markdown_table(rows, [0])
    assert all(row.passes for row in rows), table
    assert "BELOW FLOOR" not in table and table.count("\n") == 2 + len(EXPERIMENTS)


def test_any_data_config_compares_on_the_templates_own_splits(tmp_path):
    """A forker's CSV: the baseline is fitted on the rows the template's CSV data module split and standardised."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    lines = ["a,b,c,label", *(f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{t}" for r, t in zip(x, y, strict=True))]
    path = tmp_path / "mine.csv"
    path.write_text("\n".join(lines) + "\n")
    overrides = ["data=csv", f"data.path={path}", "data.target=label", "trainer.max_epochs=15"]
    (row,) = compare([], [0, 1], overrides)
    assert row.name == " ".join(overrides) and row.metric == "test/acc" and row.floor is None and row.passes
    assert len(row.template) == len(row.baseline) == 2 and min(row.baseline) > 0.8  # a linear rule: easy
    table = markdown_table([row], [0, 1])
    assert "data=csv" in table and "LogisticRegression" in table and "BELOW FLOOR" not in table
