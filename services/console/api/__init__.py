"""The console's HTTP edge: its pages (server-rendered) for staff and residents, their session, and the owners called on
the user's behalf."""

from services.console.api import (
    administration,
    board,
    cases,
    hotline,
    operations,
    public_record,
    queues,
    reporting,
    residents,
    sign_in,
    supervision,
    workbench,
)

ROUTERS = [sign_in.router, board.router, cases.router, queues.router, supervision.router, operations.router,
           administration.router, workbench.router, residents.router,
           reporting.router, public_record.router, hotline.router]
