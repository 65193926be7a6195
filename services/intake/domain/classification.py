"""Places free text (Chinese or English) in the category tree, with a confidence, learning from the tree's own data.

Words come from jieba, Chinese's usual segmenter, taught every keyword of the tree so that "路灯" or "下水道" stay
whole. A multinomial naive Bayes model is trained on each sub-item's keywords (weighted up), names and worked
examples. The confidence is the posterior of the best sub-item computed on the per-word average log-likelihood, so
that a long report is not overconfident merely for being long; a text with no known word has confidence 0.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import jieba
import snowballstemmer

jieba.setLogLevel(logging.WARNING)

KEYWORD_WEIGHT = 3.0
SMOOTHING = 0.3
# Sharpens the per-word average log-likelihoods into a posterior; fitted on the labelled set in tests/data.
SHARPNESS = 6.0

_STOPWORDS = frozenset(
    "的 了 在 是 我 有 和 就 不 人 都 一 一个 上 也 很 到 说 要 去 你 会 着 没有 看 好 自己 这 那 他 她 它 们 我们 你们 他们 "
    "吗 呢 吧 啊 呀 把 被 让 给 从 对 而 又 还 但 并 与 及 或 等 这个 那个 已经 一直 每天 能 能否 可以 希望 请 麻烦 "
    "里 后 前 时 多 小 大 太 几 些 个 次 过 得 地 之 其 所 为 以 于 则 因 此 如 若 下 中 "
    "the a an and or of to in on at is are was were be been it its this that for with from by as our my we i "
    "they them their there has have had do does did not no can could would should will just very so but if "
    "me us you your he she his her who what when which near since every last still".split())
_WORDLIKE = re.compile(r"\w", re.UNICODE)
# A stemmer keeps the word it works on in itself: one per thread (a tree is rebuilt in a worker thread while
# reports are read on the event loop's), or two words at once corrupt each other.
_STEMMERS = threading.local()


def _stem(token: str) -> str:
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
    return stemmer.stemWord(token)


@dataclass(frozen=True)
class CategoryText:
    """What the classifier learns from about one sub-item."""

    code: str
    keywords: Sequence[str]
    examples: Sequence[str] = ()
    names: Sequence[str] = ()


@dataclass(frozen=True)
class Classification:
    category_code: str | None
    confidence: float
    alternatives: tuple[tuple[str, float], ...] = ()


class _Segmenter:
    """One jieba tokenizer for the process; keywords are added to its dictionary as the tree grows."""

    _lock = threading.Lock()
    _tokenizer: jieba.Tokenizer | None = None

    @classmethod
    def get(cls) -> jieba.Tokenizer:
        with cls._lock:
            if cls._tokenizer is None:
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                cls._tokenizer = tokenizer
            return cls._tokenizer


def words(text: str, tokenizer: jieba.Tokenizer | None = None) -> list[str]:
    """The meaningful words of a text: jieba's segmentation, lower-cased, without stop words and punctuation."""
    tokenizer = tokenizer or _Segmenter.get()
    out = []
    for token in tokenizer.lcut(text.lower(), HMM=True):
        token = token.strip()
        if not token or token in _STOPWORDS or not _WORDLIKE.search(token) or token.isdigit():
            continue
        if token.isascii():
            token = _stem(token)  # "fighting" and "fight" are one word to the model
        out.append(token)
        if not token.isascii() and len(token) > 1:
            # Characters back the word off: "香樟树" still says "树" when the word itself was never seen.
            out.extend(f"#{ch}" for ch in token if ch not in _STOPWORDS)
    return out


class Classifier:
    def __init__(self, categories: Iterable[CategoryText]):
        self._tokenizer = _Segmenter.get()
        categories = list(categories)
        for category in categories:
            for keyword in category.keywords:
                if not keyword.isascii():
                    self._tokenizer.add_word(keyword.lower(), freq=2000)
        counts: dict[str, Counter] = {}
        for category in categories:
            counter = Counter()
            for keyword in category.keywords:
                for word in words(keyword, self._tokenizer):
                    counter[word] += KEYWORD_WEIGHT
            for text in (*category.examples, *category.names):
                counter.update(words(text, self._tokenizer))
            counts[category.code] = counter
        self._vocabulary = frozenset(w for counter in counts.values() for w in counter)
        size = len(self._vocabulary) or 1
        self._log_likelihood: dict[str, dict[str, float]] = {}
        self._unseen: dict[str, float] = {}
        for code, counter in counts.items():
            total = sum(counter.values()) + SMOOTHING * size
            self._log_likelihood[code] = {w: math.log((n + SMOOTHING) / total) for w, n in counter.items()}
            self._unseen[code] = math.log(SMOOTHING / total)

    @property
    def codes(self) -> list[str]:
        return list(self._log_likelihood)

    def classify(self, text: str) -> Classification:
        return self.classify_words(words(text, self._tokenizer))

    def classify_words(self, seen: list[str]) -> Classification:
        """As ``classify``, for a text already segmented with ``words`` (a report's words serve duplicates too)."""
        known = [w for w in seen if w in self._vocabulary]
        if not known or not self._log_likelihood:
            return Classification(None, 0.0)
        scores = {code: sum(table.get(w, self._unseen[code]) for w in known) / len(known)
                  for code, table in self._log_likelihood.items()}
        best = max(scores.values())
        weights = {code: math.exp(SHARPNESS * (score - best)) for code, score in scores.items()}
        total = sum(weights.values())
        ranked = sorted(((code, w / total) for code, w in weights.items()), key=lambda item: -item[1])
        top_code, top_p = ranked[0]
        # A text the model knows little of is not a confident one, however one-sided those few words are.
        coverage = math.sqrt(len(known) / len(seen))
        return Classification(top_code, round(top_p * coverage, 4),
                              tuple((c, round(p * coverage, 4)) for c, p in ranked[1:4]))
