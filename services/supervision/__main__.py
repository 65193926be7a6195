"""Runs the supervision service: `python -m services.supervision`."""

from services.supervision.service import main

main()
