"""The template reaches its floors against scikit-learn's baselines (one seed; the docs' table has five)."""

import pytest

from backprop_lab.analysis.sklearn_baseline import EXPERIMENTS, compare, markdown_table


@pytest.mark.slow
def test_every_real_data_set_reaches_its_floor_on_seed_0():
    rows = compare(list(EXPERIMENTS), [0])
    table = markdown_table(rows, [0])
    assert all(row.passes for row in rows), table
    assert "BELOW FLOOR" not in table and table.count("\n") == 2 + len(EXPERIMENTS)
