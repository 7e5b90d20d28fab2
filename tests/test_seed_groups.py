"""compare_runs groups the jobs that differ only in their seed: n and mean +- sd of every test metric, any task."""

import statistics

import pytest

from backprop_lab.analysis.reports import JobResult, markdown_table, with_sweep_start
from backprop_lab.analysis.seed_groups import mean_sd, seed_groups, seed_table


def job(name: str, lr: float, seed: int, losses: list[float], **metrics: float) -> JobResult:
    """A finished job as `read_job` gives it: an lr and seed sweep on a regression task (no accuracy)."""
    return JobResult(
        name=name,
        optimizer="Adam",
        lr=lr,
        status="success",
        overrides={"optimizer.lr": str(lr), "seed": str(seed)},
        train_loss=list(enumerate(losses)),
        final_train_loss=losses[-1],
        test_metrics={f"test/{k}": v for k, v in metrics.items()},
    )


@pytest.fixture
def regression_sweep() -> list[JobResult]:
    """-m optimizer.lr=0.0001,0.003 seed=0,1,2 on diabetes: a crawling lr and a good one, three seeds each."""
    jobs = []
    for i, seed in enumerate((0, 1, 2)):
        jobs.append(job(str(2 * i), 0.0001, seed, [1.0, 0.98 - 0.01 * seed], loss=0.9 + 0.01 * seed, mae=0.8))
        jobs.append(job(str(2 * i + 1), 0.003, seed, [1.0, 0.5, 0.45 + 0.01 * seed], loss=0.5 + 0.02 * seed, mae=0.55))
    return with_sweep_start(jobs)


def test_jobs_that_differ_only_in_seed_form_one_group(regression_sweep):
    groups = seed_groups(regression_sweep)
    assert [[r.name for r in group] for group in groups] == [["0", "2", "4"], ["1", "3", "5"]]


def test_the_table_gives_n_and_mean_and_sd_of_every_test_metric(regression_sweep):
    table = seed_table(regression_sweep)
    header, _, small, good = table.splitlines()[:4]
    assert header.split(" | ")[2:6] == ["n", "seeds", "final train loss", "test/loss"]
    assert "test/mae" in header and "acc" not in header  # regression: its own metrics, no accuracy column
    cells = [c.strip() for c in good.strip("|").split("|")]
    assert cells[:4] == ["Adam", "0.003", "3", "0,1,2"]
    assert cells[5] == f"{statistics.fmean([0.5, 0.52, 0.54]):.4g} ± {statistics.stdev([0.5, 0.52, 0.54]):.2g}"
    assert cells[-2:] == ["steady", "good"] and small.rstrip(" |").endswith("too small")


def test_one_seed_a_setting_needs_no_group_table(regression_sweep):
    assert seed_table([r for r in regression_sweep if r.overrides["seed"] == "0"]) == ""
    assert "test/mae" in markdown_table(regression_sweep)  # the per-job table shows regression metrics too


def test_mean_and_sd():
    assert mean_sd([]) == "-" and mean_sd([0.25]) == "0.25"
    assert mean_sd([1.0, 2.0, 3.0]) == "2 ± 1"
