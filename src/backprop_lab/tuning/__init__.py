"""Choosing hyperparameters: Lightning's learning-rate finder and the Optuna search."""
