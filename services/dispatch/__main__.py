"""Runs the dispatch service: `python -m services.dispatch`."""

from services.dispatch.service import main

main()
