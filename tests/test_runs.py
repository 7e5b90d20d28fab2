import json

import pytest

from backprop_lab.runs.summary import FAILED, SUCCESS, RunSummary, read_summary, write_json_atomic


def test_write_json_atomic_replaces_whole_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "metrics.json"
    write_json_atomic(path, {"a": 1})
    write_json_atomic(path, {"b": 2})
    assert json.loads(path.read_text()) == {"b": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_failed_write_keeps_the_old_file(tmp_path):
    path = tmp_path / "metrics.json"
    write_json_atomic(path, {"status": "success"})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"bad": object()})
    assert json.loads(path.read_text()) == {"status": "success"}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_summary_records_status_error_and_time(tmp_path):
    summary = RunSummary(metrics={"test/acc": 1.0})
    summary.finish(FAILED, ValueError("boom"))
    summary.save(tmp_path)
    data = read_summary(tmp_path)
    assert data["status"] == FAILED
    assert data["error"] == "ValueError: boom"
    assert data["wall_time_s"] >= 0 and data["finished_at"]
    summary.finish(SUCCESS)
    assert "test/acc" in summary.table()
