"""Lightning callbacks that make backprop visible: update telemetry, histograms, decision boundary, hparams.

Each lives in its own module with its own YAML in `configs/callbacks/`. None of
them imports `backprop_lab.data`: they reach the data through
`trainer.datamodule` at run time.
"""
