"""Lightning callbacks, one a file, each with its config in configs/callbacks/."""
