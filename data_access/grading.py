"""The grader's data: handled cases to learn from, the categories' configured grades, and the trained model,
cached per store so intake, the public form and `/api/v1/classify` grade in-process without retraining.

Training reads outside any write transaction; callers grade first and then open the case (data_access.intake).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, exists, or_, select
from sqlalchemy.orm import Session

from data_access.db import reading
from data_access.models import Category, Event, GradeOverride
from domain.grading import Grading, GradingModel, classify, train_model

HANDLED_STATUSES = ("resolved", "closed")
MACHINE_SOURCES = ("iot",)  # gateway texts are templates of their own, not how people describe problems


def training_examples(
    session: Session, community_ids: list[int] | None = None, limit: int = 20000
) -> list[tuple[str, str, str]]:
    """(text, category code, grade) of handled cases, newest first: resolved or closed ones, and any case staff
    regraded (its row already carries the corrected category and grade, so a correction teaches at once)."""
    corrected = exists().where(GradeOverride.event_id == Event.id)
    query = (
        select(Event.description, Category.code, Event.grade)
        .join(Category, Category.id == Event.category_id)
        .where(or_(Event.status.in_(HANDLED_STATUSES), corrected), Event.source.not_in(MACHINE_SOURCES))
        .order_by(Event.reported_at.desc(), Event.id.desc())
        .limit(limit)
    )
    if community_ids is not None:
        query = query.where(Event.community_id.in_(community_ids))
    return [(text, code, grade) for text, code, grade in session.execute(query) if text and text.strip()]


def default_grades(session: Session) -> dict[str, str]:
    """Category code -> default grade of the active categories, as the administrator configured them."""
    rows = session.execute(select(Category.code, Category.default_grade).where(Category.active.is_(True)))
    return dict(rows.all())


@dataclass
class _Entry:
    trained_at: datetime
    model: GradingModel | None
    grades: dict[str, str]


_cache: dict[str, _Entry] = {}
_cache_lock = threading.Lock()
_train_locks: dict[str, threading.Lock] = {}


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def _entry(engine: Engine, now: datetime, max_age_minutes: int) -> _Entry:
    key = _key(engine)
    with _cache_lock:
        entry = _cache.get(key)
        lock = _train_locks.setdefault(key, threading.Lock())

    def fresh(e: _Entry | None) -> bool:  # a model trained after `now` is still the newest knowledge
        return e is not None and now - e.trained_at < timedelta(minutes=max_age_minutes)

    if fresh(entry):
        return entry
    with lock:  # one thread trains, the others wait for its result instead of training too
        with _cache_lock:
            entry = _cache.get(key)
        if fresh(entry):
            return entry
        with reading(engine) as session:
            examples = training_examples(session)
            grades = default_grades(session)
        entry = _Entry(now, train_model(examples), grades)
        with _cache_lock:
            _cache[key] = entry
        return entry


def grader_model(engine: Engine, now: datetime, max_age_minutes: int = 60) -> GradingModel | None:
    """The model trained on this store's handled cases, retrained when older than `max_age_minutes`;
    None while there are too few of them (the lexicon grades alone)."""
    return _entry(engine, now, max_age_minutes).model


def forget(engine: Engine | None = None) -> None:
    """Drop the cached model (of one store, or all): the next grading retrains and rereads the categories."""
    with _cache_lock:
        if engine is None:
            _cache.clear()
        else:
            _cache.pop(_key(engine), None)


def classify_report(
    engine: Engine,
    text: str,
    *,
    category_hint: str | None = None,
    source: str | None = None,
    now: datetime,
) -> Grading:
    """Grade one report as intake, the public form and `/api/v1/classify` do."""
    entry = _entry(engine, now, 60)
    return classify(text, category_hint=category_hint, source=source, model=entry.model, default_grades=entry.grades)
