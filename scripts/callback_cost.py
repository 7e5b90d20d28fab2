"""What each of the lab's callbacks costs inside one run: CPU time spent in its hooks, against the whole fit.

    python scripts/callback_cost.py                     # the default XOR run
    python scripts/callback_cost.py --case digits_cnn   # xor, digits, digits_cnn or wide (see telemetry_cost.py)

Trains once in this process, as `scripts/train.py` would with the same
overrides, with a timer (`time.thread_time`: this thread's CPU, which waiting
for a core does not inflate) around every hook of every lab callback. Less
noisy than `telemetry_cost.py`'s whole runs with and without them, which
measure what a user pays in the end, imports and side effects included; this
script says where it goes. Extra arguments are Hydra overrides. It also
prints the CPU the process's other threads spent meanwhile: TensorBoard's
writer, which checksums every event it is handed in pure Python, and any
worker threads a library woke (the same line with the callbacks off, e.g.
`~callbacks.update_telemetry`, is what the run needs without them).
"""

import argparse
import functools
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from hydra import compose, initialize_config_dir
from lightning.pytorch.callbacks import Callback

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from backprop_lab.train import build  # noqa: E402

from telemetry_cost import CASES, TELEMETRY, case_overrides  # noqa: E402

HOOKS = [name for name in dir(Callback) if name.startswith(("on_", "setup", "teardown"))]


def timed(callback: Callback, spent: dict[str, float]) -> None:
    """Wrap every hook the callback defines so that its CPU time adds up under the callback's class name."""
    name = type(callback).__name__
    for hook in HOOKS:
        if getattr(type(callback), hook) is getattr(Callback, hook):
            continue  # the base class's empty hook
        method = getattr(callback, hook)

        @functools.wraps(method)
        def wrapper(*args: object, _method=method, **kwargs: object) -> object:
            began = time.thread_time()
            try:
                return _method(*args, **kwargs)
            finally:
                spent[name] += time.thread_time() - began

        setattr(callback, hook, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=CASES, default="xor")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    spent: dict[str, float] = defaultdict(float)
    with tempfile.TemporaryDirectory() as folder:
        overrides = [*case_overrides(args.case), *args.overrides, f"paths.output_dir={folder}"]
        overrides += ["~callbacks.progress_bar", "trainer.enable_progress_bar=false"]
        with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
            cfg = compose(config_name="train", overrides=overrides)
        datamodule, model, trainer = build(cfg)
        lab = {type(c).__name__ for c in trainer.callbacks if any(type(c).__module__.endswith(n) for n in TELEMETRY)}
        for callback in trainer.callbacks:
            if type(callback).__name__ in lab:
                timed(callback, spent)
        began, began_process = time.thread_time(), time.process_time()
        trainer.fit(model, datamodule=datamodule)
        trainer.test(model, datamodule=datamodule, verbose=False)
        total = time.thread_time() - began
        others = time.process_time() - began_process - total
    print(f"{args.case}: fit and test took {total:.2f} s of CPU in this thread; the lab's callbacks' hooks:")
    for name in sorted(lab, key=lambda n: -spent[n]):
        print(f"  {name:22s} {spent[name]:7.3f} s  {100 * spent[name] / total:5.1f}%")
    print(f"  {'all of them':22s} {sum(spent.values()):7.3f} s  {100 * sum(spent.values()) / total:5.1f}%")
    print(f"Other threads meanwhile (TensorBoard's writer, BLAS or OpenMP workers): {others:.3f} s of CPU")


if __name__ == "__main__":
    main()
