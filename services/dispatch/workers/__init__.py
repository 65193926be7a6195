"""Dispatch's background loops."""
