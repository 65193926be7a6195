"""The console's HTTP edge: its pages (server-rendered), their session, and the owners called on the user's behalf."""

from services.console.api import board, cases, sign_in, workbench

ROUTERS = [sign_in.router, board.router, cases.router, workbench.router]
