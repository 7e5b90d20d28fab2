"""Lightning callbacks, one a file, each with its config in configs/callbacks/.

They make backprop visible (update telemetry, histograms, decision boundary,
hparams) and keep runs safe (stop on a non-finite loss). None of them imports
`backprop_lab.data`: they reach the data through `trainer.datamodule` at run time.
"""
