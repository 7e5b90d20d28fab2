"""A Hydra sweeper: searches hyperparameters with Optuna (>= 4); see `backprop_lab.tuning.search`."""
