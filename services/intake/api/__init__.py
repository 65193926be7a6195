"""Intake's HTTP edge: one module per audience; each turns requests into commands and answers."""

from services.intake.api import admin, channels, hotline, imports, open311, residents, staff

ROUTERS = [channels.router, residents.router, staff.router, hotline.router, imports.router, admin.router,
           open311.router]
