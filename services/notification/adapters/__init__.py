"""Notification's edges: its tables and stores, the gateways messages leave by, the client of intake."""
