"""The audit trail, written once for every tenant model: an ORM hook, not code in each service.

Every flush that inserts, updates or deletes a row of a tenant model (a mapped class whose table
has `tenant_id`, or that names its tenant column in `__tenant_key__`) writes one audit event per
row, in the same transaction, with the changed fields before and after. ORM bulk `update()` /
`delete()` statements on such models write one event per statement. A model opts out only by
saying why (`__audit__ = False  # reason`): plumbing (sessions, refresh tokens, the idempotency
cache), derived roll-ups and the trail itself. tests/test_audit.py walks every model of the
metadata and fails for one that writes no event.

Secrets never reach the trail: a column whose name says it holds one (`SECRET_COLUMN`: a hash,
a secret, a password, a key) or that is marked `info={"secret": True}` is recorded as changed,
with its values replaced by `"[redacted]"`.

Who and where come from the session: the web edge puts the request's id, client address and
user agent there (`set_request_context`) and the verified caller (`set_actor`); a CLI or a
worker may do the same. Services name a change when its plain verb says too little
(`name_change(session, user, "role_change")`) and record events that change no row
(`record_event`: a failed sign-in, a logout).
"""

from __future__ import annotations

import enum
import ipaddress
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Table, event, insert, inspect
from sqlalchemy.orm import Mapper, ORMExecuteState, Session

from consumo.audit.models import AuditEvent
from consumo.db import TENANT_KEY
from consumo.flushes import FlushedChanges, on_flush

SECRET_COLUMN = re.compile(r"(hash|secret|password|salt|private_key|api_key)", re.IGNORECASE)
REDACTED = "[redacted]"

_CONTEXT = "audit_request_context"
_ACTOR = "audit_actor"
_NAMED = "audit_named_changes"


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class Actor:
    user_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None


def set_request_context(session: Session, context: RequestContext) -> None:
    session.info[_CONTEXT] = context


def set_actor(session: Session, user_id: uuid.UUID | None, token_id: uuid.UUID | None = None) -> None:
    session.info[_ACTOR] = Actor(user_id, token_id)


def name_change(session: Session, row: Any, action: str) -> None:
    """The next flushed change of `row` is recorded as `action` instead of `update`."""
    session.info.setdefault(_NAMED, {})[_identity(row)] = action


# --- which models, and how a row is described --------------------------------------------


def tenant_column(cls: type) -> str | None:
    """The column naming a model's tenant, or None for a model outside every tenant."""
    table = getattr(cls, "__table__", None)
    if table is None:
        return None
    explicit: str | None = getattr(cls, "__tenant_key__", None)
    if explicit:
        return explicit
    return "tenant_id" if "tenant_id" in table.c else None


def is_audited(cls: type) -> bool:
    return tenant_column(cls) is not None and getattr(cls, "__audit__", True) is not False


def is_secret(column: Any) -> bool:
    return bool(column.info.get("secret")) or bool(SECRET_COLUMN.search(column.key))


def _entity_type(cls: type) -> str:
    return str(cast(Any, cls).__tablename__)


def _identity(row: Any) -> tuple[str, str]:
    return _entity_type(type(row)), _entity_id(row)


def _entity_id(row: Any) -> str:
    mapper = inspect(type(row))
    tenant_key = tenant_column(type(row))
    keys = [column.key for column in mapper.primary_key if column.key != tenant_key] or [tenant_key]
    values = inspect(row).dict
    return "/".join(str(values.get(key, "")) for key in keys if key)


def jsonable(value: Any) -> Any:  # noqa: PLR0911 (one return per kind of value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(item) for item in value]
    return str(value)


def as_text(value: Any) -> str | None:
    """A value as the trail shows it: text (JSON for structures), at most 2000 characters."""
    plain = jsonable(value)
    if plain is None:
        return None
    if isinstance(plain, bool):
        text = "true" if plain else "false"
    elif isinstance(plain, (dict, list)):
        text = json.dumps(plain, sort_keys=True)
    else:
        text = str(plain)
    return text[:2000]


def _columns(cls: type) -> Iterable[Any]:
    return inspect(cls).column_attrs


def _snapshot(row: Any, side: str) -> dict[str, Any]:
    """Every loaded column of `row`, as the `before` or `after` of a create or delete."""
    loaded = inspect(row).dict
    tenant_key = tenant_column(type(row))
    changes: dict[str, Any] = {}
    for attr in _columns(type(row)):
        column = attr.columns[0]
        if attr.key == tenant_key or attr.key not in loaded:
            continue
        value = REDACTED if is_secret(column) else as_text(loaded[attr.key])
        changes[attr.key] = {side: value}
    return changes


def _differences(row: Any) -> dict[str, Any]:
    state = inspect(row)
    changes: dict[str, Any] = {}
    for attr in _columns(type(row)):
        history = state.attrs[attr.key].history
        if not history.added and not history.deleted:
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before == after and history.deleted:
            continue
        if is_secret(attr.columns[0]):
            changes[attr.key] = {"before": REDACTED, "after": REDACTED}
        else:
            changes[attr.key] = {"before": as_text(before), "after": as_text(after)}
    return changes


# --- writing -------------------------------------------------------------------------------


def _address(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value)) if value else None
    except ValueError:
        return None


def _event_row(
    session: Session,
    *,
    tenant_id: Any,
    action: str,
    entity_type: str,
    entity_id: str | None,
    changes: Mapping[str, Any],
    actor: Actor | None = None,
) -> dict[str, Any]:
    context: RequestContext = session.info.get(_CONTEXT) or RequestContext()
    actor = actor or session.info.get(_ACTOR) or Actor()
    return {
        "tenant_id": tenant_id,
        "id": uuid.uuid4(),
        "actor_user_id": actor.user_id,
        "actor_token_id": actor.token_id,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "changes": dict(changes),
        "request_id": context.request_id,
        "client_ip": _address(context.client_ip),
        "user_agent": context.user_agent[:512] if context.user_agent else None,
    }


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(insert(cast(Table, AuditEvent.__table__)), rows)


def record_event(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    action: str,
    entity_type: str,
    entity_id: str | None,
    changes: Mapping[str, Any] | None = None,
    actor_user_id: uuid.UUID | None = None,
) -> None:
    """An event that changes no audited row (a failed sign-in, a logout), in this transaction."""
    actor = Actor(actor_user_id) if actor_user_id is not None else None
    _write(
        session,
        [
            _event_row(
                session,
                tenant_id=tenant_id,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                changes=changes or {},
                actor=actor,
            )
        ],
    )


def record_event_on(
    connection: Connection,
    *,
    tenant_id: uuid.UUID,
    action: str,
    entity_type: str,
    entity_id: str,
    changes: Mapping[str, tuple[Any, Any]],
    actor_user_id: uuid.UUID | None,
) -> None:
    """An event written on a plain connection (work that runs outside a request's session: an
    import's commit in the background), with no request context; the actor is who asked.
    `changes`: field → (before, after)."""
    row = {
        "tenant_id": tenant_id,
        "id": uuid.uuid4(),
        "actor_user_id": actor_user_id,
        "actor_token_id": None,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "changes": {
            name: {"after": as_text(new)} if old is None else {"before": as_text(old), "after": as_text(new)}
            for name, (old, new) in changes.items()
        },
        "request_id": None,
        "client_ip": None,
        "user_agent": None,
    }
    connection.execute(insert(cast(Table, AuditEvent.__table__)), [row])


@on_flush
def _audit_flush(session: Session, flushed: FlushedChanges) -> None:
    named: dict[tuple[str, str], str] = session.info.get(_NAMED) or {}
    # A tenant is the one model keyed by its own id; deleting it deletes its trail (cascade).
    deleted_tenants = {row.id for row in flushed.deleted if getattr(type(row), "__tenant_key__", None) == "id"}
    rows: list[dict[str, Any]] = []
    for collection, action in ((flushed.created, "create"), (flushed.updated, "update"), (flushed.deleted, "delete")):
        for row in collection:
            cls = type(row)
            if not is_audited(cls):
                continue
            tenant_id = inspect(row).dict.get(tenant_column(cls) or "")
            if tenant_id is None or tenant_id in deleted_tenants:
                continue  # a deleted tenant takes its whole trail with it
            if action == "update":
                changes = _differences(row)
                if not changes:
                    continue
            else:
                changes = _snapshot(row, "after" if action == "create" else "before")
            identity = _identity(row)
            rows.append(
                _event_row(
                    session,
                    tenant_id=tenant_id,
                    action=named.pop(identity, action) if action == "update" else action,
                    entity_type=identity[0],
                    entity_id=identity[1],
                    changes=changes,
                )
            )
    _write(session, rows)


def _bulk_values(statement: Any, mapper: Mapper[Any]) -> dict[str, Any]:
    values = getattr(statement, "_values", None) or {}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        name = getattr(key, "key", None) or str(key)
        column = mapper.columns.get(name)
        raw = getattr(value, "value", None)
        if column is not None and is_secret(column):
            changes[name] = {"after": REDACTED}
        else:
            changes[name] = {"after": as_text(raw)}
    return changes


@event.listens_for(Session, "do_orm_execute")
def _audit_bulk_statement(state: ORMExecuteState) -> None:
    """An ORM `update(Model)` or `delete(Model)` changes rows the flush never sees: one event
    per statement, naming the model and the values set (the rows are not listed)."""
    if not (state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is None or not is_audited(mapper.class_):
        return
    tenant_id = state.session.info.get(TENANT_KEY)
    if tenant_id is None:
        return
    changes = _bulk_values(state.statement, mapper) if state.is_update else {}
    _write(
        state.session,
        [
            _event_row(
                state.session,
                tenant_id=tenant_id,
                action="bulk_update" if state.is_update else "bulk_delete",
                entity_type=_entity_type(mapper.class_),
                entity_id=None,
                changes=changes,
            )
        ],
    )
