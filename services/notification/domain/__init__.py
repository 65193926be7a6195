"""Notification's rules in plain Python: the catalogue and its templates, retries, statuses, quiet hours,
webhook targets."""
