"""Supervision's background loops: the deadline watch and its periodic jobs."""
