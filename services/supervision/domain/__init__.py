"""Supervision's rules in plain Python: clocks, the working calendar, rates, assignment, panels, hotspots, periods."""
