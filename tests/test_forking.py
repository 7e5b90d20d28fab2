"""docs/forking.md, done as a forker would: its files written into a copy of the template, its runs trained.

Every ```python or ```yaml block of the page whose opening comment names a
file (`# src/backprop_lab/...` or `# configs/...`) is written there: the Python
into a folder added to the package's search path, the YAML into a copy of
`configs/`. Blocks naming files the template already ships are examples of
them and are left out. Then the page's experiment, the file-backed data
module with the YAML conv net, and the fork's model on that data train.
"""

import shutil
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

import backprop_lab.data
import backprop_lab.models
from backprop_lab.train import train

from helpers import CONFIGS, QUIET, ROOT, read_metrics

PAGE = ROOT / "docs" / "forking.md"


def named_blocks() -> dict[str, str]:
    """{path: text} of the page's code blocks one of whose first two lines is `# <path>`."""
    blocks, lines = {}, PAGE.read_text().splitlines()
    for i, line in enumerate(lines):
        if line not in ("```python", "```yaml"):
            continue
        end = lines.index("```", i + 1)
        named = [t[2:] for t in lines[i + 1 : i + 3] if t.startswith(("# src/", "# configs/"))]
        if named:
            blocks[named[0].strip()] = "\n".join(lines[i + 1 : end]) + "\n"
    return blocks


@pytest.fixture(scope="module")
def fork(tmp_path_factory) -> Path:
    """A copy of configs/ with the page's YAML, and the page's modules importable under the package's names."""
    root = tmp_path_factory.mktemp("fork")
    configs = shutil.copytree(CONFIGS, root / "configs")
    added = []
    for path, text in named_blocks().items():
        if path.startswith("configs/") and not (ROOT / path).exists():
            (root / path).write_text(text)
            added.append(path)
        elif path.startswith("src/backprop_lab/"):
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            added.append(path)
    names = {Path(path).stem for path in added}
    assert {"checkerboard", "bright_squares", "dropout_mlp", "my_first"} <= names, added
    modules = root / "src" / backprop_lab.__name__
    with pytest.MonkeyPatch.context() as patch:
        for package in (backprop_lab.data, backprop_lab.models):
            folder = modules / package.__name__.rsplit(".", 1)[1]
            patch.setattr(package, "__path__", [*package.__path__, str(folder)])
        yield configs


def run(configs: Path, run_dir: Path, *overrides: str) -> dict:
    with initialize_config_dir(config_dir=str(configs), version_base="1.3"):
        cfg = compose("train", overrides=[*QUIET, "logger=none", f"paths.output_dir={run_dir}", *overrides])
    train(cfg)
    return read_metrics(run_dir)


def test_the_pages_experiment_runs(fork, tmp_path):
    summary = run(fork, tmp_path / "run", "experiment=my_first", "debug=fdr")
    assert summary["status"] == "success", summary


def test_a_file_backed_data_module_trains_the_yaml_conv_net(fork, tmp_path):
    overrides = ["data=bright_squares", "model=cnn", "optimizer=adam", "optimizer.lr=0.01", "trainer.max_epochs=4"]
    summary = run(fork, tmp_path / "run", *overrides, f"paths.log_dir={tmp_path}", "~callbacks.loss_landscape")
    assert len(list((tmp_path / "bright_squares").glob("*.pt"))) == 400  # written once, by prepare_data
    assert summary["status"] == "success" and summary["metrics"]["test/acc"] >= 0.9, summary


def test_the_forks_own_model_takes_the_datas_shape_from_its_constructor(fork, tmp_path):
    overrides = ["data=bright_squares", "model=dropout_mlp", f"paths.log_dir={tmp_path}", "debug=fdr"]
    summary = run(fork, tmp_path / "run", *overrides)
    assert summary["status"] == "success", summary
