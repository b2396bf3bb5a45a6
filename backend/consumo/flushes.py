"""What a flush changed, walked once and handed to every hook that reads it.

The audit trail (`audit/hook.py`) and the webhook outbox (`webhooks/events.py`) both turn a
flush's new, changed and deleted rows into rows of their own. Walking the session's collections
(`session.dirty` is computed from the identity map on each access) and checking each changed row
once per hook doubled that work on every write; one `after_flush` listener now computes the list
once and calls each consumer with it, in the order they registered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class FlushedChanges:
    created: tuple[Any, ...]
    # Rows with a real column change (not merely touched: `Session.is_modified`).
    updated: tuple[Any, ...]
    deleted: tuple[Any, ...]


FlushConsumer = Callable[[Session, FlushedChanges], None]
_CONSUMERS: list[FlushConsumer] = []


def on_flush(consumer: FlushConsumer) -> FlushConsumer:
    """Register `consumer(session, changes)` to run after every flush that changed a row."""
    if consumer not in _CONSUMERS:
        _CONSUMERS.append(consumer)
    return consumer


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    created, deleted = tuple(session.new), tuple(session.deleted)
    updated = tuple(row for row in session.dirty if session.is_modified(row, include_collections=False))
    if not (created or updated or deleted):
        return
    changes = FlushedChanges(created, updated, deleted)
    for consumer in _CONSUMERS:
        consumer(session, changes)
