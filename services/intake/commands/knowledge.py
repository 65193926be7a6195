"""The hotline's knowledge base kept by admins, and consultations answered on the spot with it (no case opened; what
was asked and answered is recorded, the caller's number kept as a reporter's so their history shows it)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from shared.masking import mask_personal_text
from shared.messaging.unit_of_work import UnitOfWork
from shared.refusals import Refused


async def save_article(uow: UnitOfWork, article_id: UUID | None, *, question: str, answer: str,
                       keywords: list[str], category_code: str | None, actor: str) -> UUID:
    """A new article (``article_id`` None) or an edit of one; the sub-item it is about must be the tree's."""
    if category_code and category_code not in (await uow.store.category_tree()).categories:
        raise Refused("unknown_category", "no such category", "category")
    if article_id is not None and await uow.store.article(article_id) is None:
        raise Refused("not_found", "no such article", "article_id", status=404)
    article_id = article_id or uuid4()
    await uow.store.save_article(article_id, question=question, answer=answer, keywords=keywords,
                                 category_code=category_code, active=True, changed_by=actor,
                                 changed_at=datetime.now(UTC))
    return article_id


async def retire_article(uow: UnitOfWork, article_id: UUID, *, actor: str) -> None:
    if not await uow.store.retire_article(article_id, actor, datetime.now(UTC)):
        raise Refused("not_found", "no such article", "article_id", status=404)


async def answer_on_the_spot(uow: UnitOfWork, *, call_id: str | None, phone: str | None, name: str | None,
                             question: str, article_id: UUID | None, answer: str | None, operator: str) -> dict:
    """Record a consultation answered during the call: with an article of the knowledge base (its answer, unless the
    operator said it in other words) or in the operator's own words. The same call recorded twice is one."""
    if call_id:
        seen = await uow.store.consultation_by_call(call_id)
        if seen is not None:
            return seen
    article = await uow.store.article(article_id) if article_id else None
    if article_id and (article is None or not article["active"]):
        raise Refused("not_found", "no such article", "article_id", status=404)
    said = (answer or "").strip() or (article["answer"] if article else "")
    if not said:
        raise Refused("missing_field", "say what the caller was told, or choose an article", "answer")
    reporter_id = await uow.store.reporter_for(phone, name) if phone else None
    row = dict(id=uuid4(), call_id=call_id, reporter_id=reporter_id, question=mask_personal_text(question.strip()),
               article_id=article_id, answer=mask_personal_text(said), operator=operator,
               answered_at=datetime.now(UTC))
    await uow.store.add_consultation(**row)
    return row
