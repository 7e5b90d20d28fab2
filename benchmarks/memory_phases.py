"""Where the template's peak memory comes from, phase by phase (Linux): `python -m benchmarks.memory_phases`.

    python -m benchmarks.memory_phases                  # case 2 as the benchmark runs it (the lab's callbacks off)
    python -m benchmarks.memory_phases wide debug=bare  # case 4 with everything off

Runs the template side of case 2 (or of case 4, `wide`) in this process as
the benchmark's worker does (its overrides, the lab's callbacks off, then any
given here), and prints
after each phase the peak resident memory during it and the resident memory
at its end, split into anonymous pages (the process's own: tensors, Python
objects, the heap's free pages) and file pages (the code of the libraries
it has run). The peak is reset after each phase (`/proc/self/clear_refs`),
so the phase with the highest peak holds the run's peak; the last line gives
it. Imports that torch and Lightning make are printed apart from the
template's: the benchmark's Lightning alone pays the first two as well.
"""

import sys
import tempfile
from pathlib import Path
from typing import Any

STATUS, CLEAR = Path("/proc/self/status"), Path("/proc/self/clear_refs")
peaks: list[float] = []


def phase(name: str) -> None:
    """Print the phase that just ended; the next phase's peak starts from the memory held now."""
    fields = {}
    for line in STATUS.read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value
    mib = {key: int(fields[key].split()[0]) / 1024 for key in ("VmHWM", "VmRSS", "RssAnon", "RssFile")}
    peaks.append(mib["VmHWM"])
    print(
        f"{name:40s} peak {mib['VmHWM']:6.0f}   after {mib['VmRSS']:6.0f} "
        f"(anon {mib['RssAnon']:4.0f}, files {mib['RssFile']:4.0f}) MiB",
        flush=True,
    )
    CLEAR.write_text("5")


def hooks() -> Any:
    """A callback that ends a phase at the points of a fit where memory moves."""
    import lightning as L

    class Phases(L.Callback):
        def on_sanity_check_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            phase("fit: setup and sanity check")

        def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            phase("fit: the callbacks' on_train_start")

        def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: object) -> None:
            if args[-1] in (0, trainer.num_training_batches - 1):
                phase(f"fit: step {args[-1] + 1}")

        def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            phase("fit: validation and epoch end")

        def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            phase("fit: on_train_end")

    return Phases()


def main(argv: list[str]) -> int:
    if not CLEAR.exists():
        print("memory_phases reads /proc/self: Linux only", file=sys.stderr)
        return 2
    wide = bool(argv) and argv[0] == "wide"
    phase("interpreter")
    import torch

    phase("import torch")
    import lightning as L  # noqa: F401

    phase("import lightning")
    from hydra import compose, initialize_config_dir

    from backprop_lab.data.splits import split_sizes
    from backprop_lab.train import build

    from benchmarks.case_configs import LAB_CALLBACKS_OFF, throughput_overrides, wide_overrides
    from benchmarks.settings import Settings, Sizes

    phase("import hydra, backprop_lab.train")
    sizes, root = Sizes(), Path(__file__).resolve().parents[1]
    rows = round((sizes.wide_train if wide else sizes.n_train) / 0.98)
    batches = split_sizes(rows, 0.01, 0.01)[0] // sizes.batch_size
    if wide and sizes.wide_steps:
        batches = min(batches, sizes.throughput_warmup + sizes.wide_steps)
    case = wide_overrides(sizes) if wide else throughput_overrides(sizes)
    overrides = [*Settings(root).common, f"data.batch_size={sizes.batch_size}", "trainer.max_epochs=1", *case]
    overrides += LAB_CALLBACKS_OFF
    overrides += [f"+trainer.limit_train_batches={batches}", *argv[1 if wide else 0 :]]
    with tempfile.TemporaryDirectory(prefix="memory-") as folder:
        with initialize_config_dir(config_dir=str(root / "configs"), version_base="1.3"):
            cfg = compose(config_name="train", overrides=[f"paths.output_dir={folder}", *overrides])
        phase("compose the config")
        datamodule, model, trainer = build(cfg)
        phase("build (data, model, callbacks, loggers)")
        trainer.callbacks.append(hooks())
        trainer.fit(model, datamodule=datamodule)
        phase("fit: the rest")
    print(f"peak {max(peaks):.0f} MiB (torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
