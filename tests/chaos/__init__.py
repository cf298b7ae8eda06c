"""Chaos scenarios: every system up, then faults (faults.py), crashes and load, compared with a clean run."""
