"""Notification: who is told what, and the proof that it was delivered."""
