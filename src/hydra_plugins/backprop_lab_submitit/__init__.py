"""Hydra's submitit launchers, waiting for every job even when one is killed or cancelled; see submitit_launcher.py."""
