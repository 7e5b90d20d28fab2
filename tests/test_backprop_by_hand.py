"""scripts/backprop_by_hand.py runs, agrees with torch, and trains XOR."""

import re

from helpers import SCRIPTS, run_in_process


def run_script(*args: str) -> str:
    done = run_in_process(SCRIPTS / "backprop_by_hand.py", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_one_step_matches_torch():
    out = run_script("--hidden", "2", "--activation", "sigmoid", "--lr", "1.0")
    for heading in ("Forward pass", "Backward pass", "Update", "delta2", "dW1", "new (torch)"):
        assert heading in out
    match = re.search(r"max \|difference\| .*: (\S+)", out)
    assert match, out
    assert float(match.group(1)) < 1e-12


def test_train_solves_xor_with_numpy_alone():
    out = run_script("--train", "--epochs", "1500")
    assert "correct: 4/4" in out, out
    assert out.count(" ok") == 4
    losses = [float(x) for x in re.findall(r"loss (\d+\.\d+)", out)]
    assert losses[-1] < 0.05 < losses[0]
