"""The console's HTTP edge: its pages (server-rendered) and their session."""

from services.console.api import pages

ROUTERS = [pages.router]
