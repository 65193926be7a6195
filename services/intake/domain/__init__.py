"""Intake's rules in plain Python: no web framework, no database, no broker."""
