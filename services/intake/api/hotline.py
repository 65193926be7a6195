"""The hotline's desk: who is calling (their earlier cases, audited), the knowledge base that answers what callers ask
most (kept by admins), and consultations answered on the spot with it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints
from sqlalchemy import select

from services.intake.adapters import tables
from services.intake.adapters.reference import category_tree
from services.intake.api.context import CategoryCode, ExternalRef, Name, Phone, ScopeGrids, Strict
from services.intake.commands.contacts import caller_history
from services.intake.commands.knowledge import answer_on_the_spot, retire_article, save_article
from services.intake.domain.classification import words
from services.intake.domain.knowledge import Article, search
from services.intake.domain.reveals import RevealCaller
from shared.http.access import CurrentPrincipal
from shared.http.dependencies import ReadSession, UnitOfWorkDep
from shared.local_time import LOCAL_ZONE, LocalDatetime
from shared.masking import mask_personal_text
from shared.reference.labels import label

router = APIRouter(prefix="/v1", tags=["hotline"])
Question = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
AnswerText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]


class CallerIn(Strict):
    phone: Phone


class CallerCase(BaseModel):
    tracking_code: str
    category: str
    category_name_zh: str
    category_name_en: str
    status: str
    status_zh: str
    status_en: str
    unit: str | None
    description: str = Field(description="What was reported (numbers masked)")
    reported_at: LocalDatetime


@router.post("/hotline/caller", response_model=list[CallerCase],
             summary="The caller's earlier cases by their number, newest first, within the operator's scope; audited")
async def caller(body: CallerIn, uow: UnitOfWorkDep, principal: CurrentPrincipal, grids: ScopeGrids,
                 session: ReadSession, response: Response) -> list[CallerCase]:
    who = RevealCaller(subject=principal.subject, role=principal.role, unit_id=principal.unit_id,
                       scope=principal.scope)
    async with uow:
        found = await caller_history(uow, body.phone, caller=who, grids=grids)
    tree = await category_tree.get(session)
    response.headers["Cache-Control"] = "no-store"
    return [CallerCase(tracking_code=c["tracking_code"], category=c["category_code"],
                       category_name_zh=tree.categories[c["category_code"]].name_zh,
                       category_name_en=tree.categories[c["category_code"]].name_en, status=c["status"],
                       status_zh=label("state", c["status"]), status_en=label("state", c["status"], "en"),
                       unit=c["unit_name"], description=mask_personal_text(c["description"])[:200],
                       reported_at=c["reported_at"]) for c in found]


class ArticleIn(Strict):
    question: Question
    answer: AnswerText
    keywords: list[Keyword] = Field(default_factory=list, max_length=30)
    category: CategoryCode | None = Field(None, description="The sub-item the question is about (who handles what)")


class ArticleView(BaseModel):
    id: UUID
    question: str
    answer: str
    keywords: list[str]
    category: str | None
    category_name_zh: str | None
    category_name_en: str | None
    active: bool
    changed_by: str | None
    changed_at: LocalDatetime
    score: float | None = Field(None, description="How well it answers the question searched for (0-1)")


async def _views(session, rows, scores: dict[UUID, float] | None = None) -> list[ArticleView]:
    tree = await category_tree.get(session)

    def name(code: str | None, en: bool) -> str | None:
        found = tree.categories.get(code) if code else None
        return (found.name_en if en else found.name_zh) if found else None

    return [ArticleView(id=r.id, question=r.question, answer=r.answer, keywords=r.keywords,
                        category=r.category_code, category_name_zh=name(r.category_code, False),
                        category_name_en=name(r.category_code, True), active=r.active, changed_by=r.changed_by,
                        changed_at=r.changed_at, score=(scores or {}).get(r.id)) for r in rows]


@router.get("/knowledge", response_model=list[ArticleView],
            summary="The knowledge base: the articles that answer a question best (segmented as the classifier "
                    "reads it), or every current article")
async def knowledge(session: ReadSession, q: Annotated[str | None, Query(max_length=200)] = None,
                    retired: bool = False) -> list[ArticleView]:
    k = tables.knowledge_articles.c
    query = select(tables.knowledge_articles).order_by(k.question)
    rows = (await session.execute(query if retired else query.where(k.active))).all()
    if not q or not q.strip():
        return await _views(session, rows)
    by_id = {r.id: r for r in rows}
    found = search(q.replace("\x00", ""), (Article(r.id, r.question, r.answer, r.keywords, r.category_code)
                                            for r in rows), words)
    return await _views(session, [by_id[f.article.id] for f in found], {f.article.id: f.score for f in found})


@router.post("/admin/knowledge", status_code=201, response_model=ArticleView, tags=["admin"],
             summary="Add an article to the hotline's knowledge base")
async def add_article(body: ArticleIn, uow: UnitOfWorkDep, principal: CurrentPrincipal,
                      session: ReadSession) -> ArticleView:
    async with uow:
        article_id = await save_article(uow, None, question=body.question, answer=body.answer,
                                        keywords=body.keywords, category_code=body.category, actor=principal.subject)
    return await _one(session, article_id)


@router.put("/admin/knowledge/{article_id}", response_model=ArticleView, tags=["admin"],
            summary="Edit an article (a retired one is current again)")
async def edit_article(article_id: UUID, body: ArticleIn, uow: UnitOfWorkDep, principal: CurrentPrincipal,
                       session: ReadSession) -> ArticleView:
    async with uow:
        await save_article(uow, article_id, question=body.question, answer=body.answer, keywords=body.keywords,
                           category_code=body.category, actor=principal.subject)
    return await _one(session, article_id)


@router.delete("/admin/knowledge/{article_id}", status_code=204, response_class=Response, tags=["admin"],
               summary="Retire an article (kept for the consultations answered with it)")
async def remove_article(article_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> Response:
    async with uow:
        await retire_article(uow, article_id, actor=principal.subject)
    return Response(status_code=204)


async def _one(session, article_id: UUID) -> ArticleView:
    k = tables.knowledge_articles.c
    return (await _views(session, (await session.execute(select(tables.knowledge_articles)
                                                         .where(k.id == article_id))).all()))[0]


class ConsultationIn(Strict):
    """A question answered during the call: no case is opened."""

    call_id: ExternalRef | None = Field(None, description="The telephony system's call id: the same call recorded "
                                        "twice is one consultation")
    phone: Phone | None = Field(None, description="The caller's number, if they gave it (their history shows it)")
    name: Name | None = None
    question: Question
    article_id: UUID | None = Field(None, description="The knowledge base's article the answer came from")
    answer: AnswerText | None = Field(None, description="What the caller was told, if not the article's words")


class ConsultationView(BaseModel):
    id: UUID
    call_id: str | None
    question: str
    article_id: UUID | None
    answer: str
    operator: str
    answered_at: LocalDatetime


@router.post("/hotline/consultations", status_code=201, response_model=ConsultationView,
             summary="Record a consultation answered on the spot (即接即办), from the knowledge base or in words")
async def consultation(body: ConsultationIn, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> ConsultationView:
    async with uow:
        row = await answer_on_the_spot(uow, call_id=body.call_id, phone=body.phone, name=body.name,
                                       question=body.question, article_id=body.article_id, answer=body.answer,
                                       operator=principal.subject)
    return ConsultationView(**{k: row[k] for k in ConsultationView.model_fields})


@router.get("/hotline/consultations", response_model=list[ConsultationView],
            summary="Consultations answered on the spot, newest first (today's by default)")
async def consultations(session: ReadSession, since: AwareDatetime | None = None,
                        limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[ConsultationView]:
    c = tables.consultations.c
    since = since or datetime.now(LOCAL_ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    rows = (await session.execute(select(tables.consultations).where(c.answered_at >= since)
                                  .order_by(c.answered_at.desc()).limit(limit))).all()
    return [ConsultationView(**{k: getattr(r, k) for k in ConsultationView.model_fields}) for r in rows]
