"""Supervision's HTTP edge: one module per audience or subject; each turns requests into commands and answers."""

from services.supervision.api import (
    bulletins,
    cases,
    evaluation,
    jurisdictions,
    mirror_wall,
    observers,
    officials,
    performance,
    supervisors,
)

ROUTERS = [cases.router, jurisdictions.router, supervisors.router, observers.router, evaluation.router,
           performance.router, bulletins.router, mirror_wall.router, officials.router]
