"""A LightningModule base that lets Lightning name the running hook cheaply."""

from typing import Any

import lightning as L


class FastHookNames(L.LightningModule):
    """Stores `_current_fx_name` as a plain attribute.

    Lightning sets `_current_fx_name` (a string) around every hook it calls,
    some 40 times a step. `nn.Module.__setattr__` first checks each value for
    parameters, modules and buffers; on XOR that checking was a tenth of the
    template's step (`scripts/benchmark.py --cases xor`).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "_current_fx_name":
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)
