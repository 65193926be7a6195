"""What every page of the console shares: its templates in the reader's language, its cookies, the way back to the
sign-in form, which cases a user may see, and the owners called on the user's behalf."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import and_, or_

from services.console.adapters import tables
from services.console.adapters.owners import Owners
from services.console.api.session import language
from services.console.domain.accounts import Account
from shared.auth import Role
from shared.http.messages import MESSAGES_ZH
from shared.local_time import LOCAL_ZONE
from shared.persistence.scopes import within_scope
from shared.reference.labels import LABELS, label


class _Pages(Environment):
    """Jinja2 with the pages' rows, which are dicts, read by key first: Jinja's own ``row.name`` tries the attribute
    first and pays for an AttributeError each time (a sixth of a 200-row board's CPU, profiled)."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


TEMPLATES = _Pages(loader=FileSystemLoader(Path(__file__).parents[1] / "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
_c = tables.cases.c


#: Everything a page loads comes from the console itself (Leaflet styles its map inline; photos preview as blobs).
CONTENT_SECURITY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")


def page(request: Request, name: str, status_code: int = 200, *, here: str | None = None,
         default_language: str | None = None, **values) -> HTMLResponse:
    """A page in the reader's language (``default_language`` when they have not chosen); ``here`` is where the
    language switch comes back to (a form's answer is drawn at the form's address, which cannot be fetched again)."""
    lang = language(request, default_language)
    html = TEMPLATES.get_template(name).render(
        lang=lang, t=lambda zh, en: en if lang == "en" else zh, path=here or request.url.path, quote=quote,
        label=lambda vocabulary, value: label(vocabulary, value, lang), vocabulary=lambda name: [
            (value, words[lang == "en"]) for value, words in LABELS[name].items()], **values)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store",
                                                                "Content-Security-Policy": CONTENT_SECURITY})


#: The residents' site speaks Chinese until the reader switches (staff pages follow the browser).
RESIDENTS_LANGUAGE = "zh"


def resident_language(request: Request) -> str:
    return language(request, RESIDENTS_LANGUAGE)


def resident_page(request: Request, name: str, status_code: int = 200, **values) -> HTMLResponse:
    """A page of the residents' site: public, Chinese first, never cached, never sending its address onwards."""
    response = page(request, name, status_code, default_language=RESIDENTS_LANGUAGE, **values)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def set_cookie(response: Response, request: Request, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", path="/",
                        secure=request.app.state.runtime.settings.secure_cookies)


def safe_next(next_path: str | None, default: str = "/") -> str:
    """Only a path of this console (never another site) is where a sign-in sends the reader back."""
    return next_path if next_path and next_path.startswith("/") and not next_path.startswith("//") else default


def to_sign_in(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)


def shown_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(LOCAL_ZONE).strftime(fmt) if value else ""


def visible_cases(account: Account):
    """The cases of the read model a user may see: a unit's staff those their unit has a part in (and the claiming
    board's within their scope), everyone else those lying within their scope."""
    scope = within_scope((_c.district_id, _c.street_id, _c.community_id, _c.grid_id), account.scope)
    if account.role is Role.UNIT_STAFF:
        return or_(_c.unit_ids.contains([account.unit_id or ""]), and_(_c.status == "on_claiming_board", scope))
    return scope


def owners(request: Request) -> Owners:
    """The services, called as the user (one client per console worker)."""
    state = request.app.state
    if getattr(state, "owners", None) is None:
        s = state.runtime.settings
        state.owners = Owners({"intake": s.intake_url, "dispatch": s.dispatch_url,
                               "supervision": s.supervision_url, "notification": s.notification_url},
                              s.jwt_private_key, token_minutes=s.token_minutes, jurisdiction=s.jurisdiction_id)
    return state.owners


def refusal_words(code: str, message: str, lang: str, field: str | None = None, **where) -> dict:
    """A refusal as a page shows it: the code's words in the reader's language, the field it is about, and where on
    the page it belongs (``where``: the form, the item)."""
    return {"code": code, "field": field, "message": message if lang == "en" else MESSAGES_ZH.get(code, message),
            **where}


def owner_refusal(answer, lang: str, field: str | None = None, **where) -> dict:
    """An owner's refusal as a page shows it (the owner already answered in the reader's language), or the console's
    own words when the owner did not answer."""
    if answer.code == "owner_unavailable":
        return refusal_words("owner_unavailable", "the service that owns this is not answering; try again shortly", lang,
                       **where)
    body = answer.body if isinstance(answer.body, dict) else {}
    return {"code": answer.code, "field": field or body.get("field"), "message": body.get("message", answer.code),
            **where}
