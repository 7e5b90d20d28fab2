"""A Hydra sweeper that searches hyperparameters with Optuna (>= 4); see `backprop_lab.tuning.search`."""
