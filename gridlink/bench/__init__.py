"""The benchmarks, one module each, run by ``gridlink bench-*``: each prints and saves its figures (with CPU seconds
per unit of work) under bench-results/; what they share is in ``harness.py``."""
