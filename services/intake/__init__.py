"""Intake: where a resident's voice enters; the only holder of names and full numbers."""
