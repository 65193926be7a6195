"""Runs the console: `python -m services.console`."""

from services.console.service import main

main()
