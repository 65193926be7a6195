"""Supervision's edges to storage: its tables, the clocks and time rules as stored, the rates' read model, documents."""
