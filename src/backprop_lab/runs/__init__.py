"""The run folder: its record, its name, its lock, checkpoints, resume, interrupts, several processes."""
