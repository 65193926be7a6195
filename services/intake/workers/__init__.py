"""Intake's background loops."""
