"""Dispatch's rules in plain Python: the handling life cycle and routing (no web framework, database or broker)."""
