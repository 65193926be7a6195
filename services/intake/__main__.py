"""Runs the intake service: `python -m services.intake`."""

from services.intake.service import main

main()
