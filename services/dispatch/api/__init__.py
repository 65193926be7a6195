"""Dispatch's HTTP edge: a unit's and a dispatcher's cases and actions, the directory, photos."""

from services.dispatch.api import cases, directory, photos

ROUTERS = [cases.router, directory.router, photos.router]
