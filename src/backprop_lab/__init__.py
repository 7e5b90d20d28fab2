"""backprop-lab: a Lightning + Hydra template that makes backprop's parameter updates visible."""

__version__ = "0.1.0"
