"""A Hydra sweeper that searches with Optuna (>= 4); see `backprop_lab.tuning.search`."""
