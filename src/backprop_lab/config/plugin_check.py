"""A Hydra callback that refuses a sweep whose launcher or sweeper comes from an extra that is not installed.

`hydra/launcher=joblib`, `=submitit_local`, `=slurm` and `hparams_search=...`
name plugins that optional extras install. Without one, Hydra would stop
with a traceback about an unknown plugin class or a missing module; this
check runs first (Hydra calls `on_multirun_start` before it builds the
sweeper and the launcher) and names the `pip install` to run. Which plugin
needs what is wiring, so it lives in `configs/hydra/default.yaml`. It looks
modules up without importing them: a sweep's start-up stays as light as before.
"""

import importlib.util
import sys
from collections.abc import Mapping
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf


def is_installed(module: str) -> bool:
    """True if `module` can be imported; finding it imports its parent packages, never the module itself."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing, or a module without a spec
        return False


def missing_modules(target: str, plugins: Mapping[str, Any]) -> tuple[list[str], str | None]:
    """The modules a plugin `_target_` needs that are not installed, and the extra that installs them."""
    for package, needs in plugins.items():
        if target == package or target.startswith(f"{package}."):
            missing = [m for m in [package, *needs.get("modules", [])] if not is_installed(m)]
            return missing, needs.get("extra")
    return [], None


class CheckPluginsInstalled(Callback):
    """Stops a sweep before it starts when its launcher or sweeper plugin is not installed: exit 2, one paragraph."""

    def __init__(self, plugins: DictConfig | Mapping[str, Any]) -> None:
        self.plugins = OmegaConf.to_container(plugins) if OmegaConf.is_config(plugins) else dict(plugins)

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        choices = config.hydra.runtime.choices
        for group in ("launcher", "sweeper"):
            target = OmegaConf.select(config, f"hydra.{group}._target_", default="") or ""
            missing, extra = missing_modules(target, self.plugins)
            if missing:
                self._refuse(f"hydra/{group}={choices.get(f'hydra/{group}', '?')}", missing, extra)

    @staticmethod
    def _refuse(choice: str, missing: list[str], extra: str | None) -> None:
        install = f'pip install -e ".[{extra}]"' if extra else f"pip install {' '.join(missing)}"
        print(
            f"error: {choice} needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not "
            f"installed; nothing was run. Install this project's extra for it: {install} (in the environment that "
            "runs scripts/train.py), then run the same command again.",
            file=sys.stderr,
        )
        sys.exit(2)
