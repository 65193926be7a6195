"""The hotline's knowledge base in plain Python: answers to what callers ask most (policies, opening hours, who handles
what), found by the words of the question as the classifier's segmenter reads them, so that a consultation can be
answered and closed during the call ("solve at once what can be solved at once")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Article:
    id: UUID
    question: str
    answer: str
    keywords: Sequence[str] = ()
    category_code: str | None = None  # the sub-item the question is about, if any (who handles what)


@dataclass(frozen=True)
class Found:
    article: Article
    score: float  # the share of the question's words the article holds (its keywords count twice)


def search(question: str, articles: Iterable[Article], words: Callable[[str], list[str]], *, limit: int = 5,
           at_least: float = 0.2) -> list[Found]:
    """The articles that answer the question best, best first; none below ``at_least``."""
    asked = set(words(question))
    if not asked:
        return []
    found = []
    for article in articles:
        held = set(words(f"{article.question} {article.answer}"))
        keys = set(words(" ".join(article.keywords)))
        score = (len(asked & held) + len(asked & keys)) / (2 * len(asked))
        if question.strip() and question.strip() in article.question:
            score = max(score, 0.9)  # the question as the article puts it
        if score >= at_least:
            found.append(Found(article, round(min(score, 1.0), 3)))
    return sorted(found, key=lambda f: (-f.score, f.article.question))[:limit]
