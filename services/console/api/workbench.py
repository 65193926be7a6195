"""A unit's workbench: the cases to sign for and to finish, by deadline, those it assists, the claiming board's, and
the unit's inbox."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console.adapters import queries
from services.console.api.board import case_row
from services.console.api.rendering import owners, page, shown_time, to_sign_in, visible_cases
from services.console.api.session import CurrentUser, language
from services.console.domain.actions import running_clocks
from shared.auth import Role
from shared.http.dependencies import ReadSession
from shared.reference.keeping import names as kept_names
from shared.reference.labels import label

router = APIRouter(include_in_schema=False)
_FAR = datetime.max.replace(tzinfo=UTC)


@router.get("/workbench", response_class=HTMLResponse)
async def workbench(request: Request, user: CurrentUser, session: ReadSession) -> Response:
    if user is None:
        return to_sign_in(request)
    if user.account.role is not Role.UNIT_STAFF:
        return RedirectResponse("/board", status_code=303)
    lang, names, unit = language(request), await kept_names(session), user.account.unit_id
    rows = await queries.workbench_cases(session, visible_cases(user.account))
    lists: dict[str, list] = {"sign": [], "finish": [], "assist": [], "claim": []}
    for r in rows:
        mine = [c for c in running_clocks(r["status"], r["clocks"], r["unit_ids"], r["given_at"]) if c.unit_id == unit]
        first = mine[0] if mine else None  # running_clocks gives them soonest first
        due = first.due_at if first else None
        row = {**case_row(r, names, lang), "due": shown_time(due) if due else "",
               "late": due is not None and due < datetime.now(UTC), "order": due or _FAR,
               "due_kind": label("kind", first.kind, lang) if first else ""}
        if r["status"] == "on_claiming_board":
            lists["claim"].append(row)
        elif r["unit_id"] != unit:
            lists["assist"].append(row)
        elif r["status"] in ("dispatched", "reopened"):
            lists["sign"].append(row)
        else:
            lists["finish"].append(row)
    for cases in lists.values():
        cases.sort(key=lambda c: c["order"])
    inbox = await owners(request).call(user.account, "notification", "GET", "/v1/inbox", params={"limit": 20},
                                       language=lang)
    messages = inbox.body.get("messages", []) if inbox.ok else None
    return page(request, "workbench.html", user=user.account, csrf=user.csrf_token, unit=names.unit(unit, lang),
                lists=lists, messages=messages, unread=inbox.body.get("unread", 0) if inbox.ok else 0,
                now=shown_time(datetime.now(UTC)))
