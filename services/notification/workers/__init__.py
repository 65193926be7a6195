"""Notification's background loops: the senders of messages and of webhooks."""
