"""Intake's edges to storage: its tables and the stores and caches built on them."""
