"""Lightning callbacks, one a file, each with its config in configs/callbacks/.

They make backprop visible (update telemetry, histograms, decision boundary,
loss landscape, hparams) and keep runs safe (stop on a non-finite loss). They
work on any LightningModule and any data module that returns torch
`DataLoader`s of `(x, y)` batches: they read the module's parameters and a
fixed sample of rows from the loaders' datasets (`rows_sample.py`), never a
private attribute, and skip what cannot apply with one logged line. None of
them imports `backprop_lab.data` or `backprop_lab.models`.
"""
