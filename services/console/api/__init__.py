"""The console's HTTP edge: its pages (server-rendered), their session, and the owners called on the user's behalf."""

from services.console.api import administration, board, cases, operations, queues, sign_in, supervision, workbench

ROUTERS = [sign_in.router, board.router, cases.router, queues.router, supervision.router, operations.router,
           administration.router, workbench.router]
