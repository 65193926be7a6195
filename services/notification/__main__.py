"""Runs the notification service: `python -m services.notification`."""

from services.notification.service import main

main()
