"""One mechanism for the audit trail: SQLAlchemy flush events on every model marked __audited__."""
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, object_session

from ..extensions import db
from .models import AuditEntry


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def _skip(obj) -> frozenset[str]:
    return getattr(obj, "audit_skip", frozenset())


def _snapshot(obj) -> dict[str, Any]:
    state = inspect(obj)
    return {
        attr.key: _jsonable(getattr(obj, attr.key))
        for attr in state.mapper.column_attrs
        if attr.key not in _skip(obj) and getattr(obj, attr.key) not in (None, "")
    }


def _diff(obj) -> dict[str, list[Any]]:
    state = inspect(obj)
    changes = {}
    for attr in state.mapper.column_attrs:
        if attr.key in _skip(obj):
            continue
        hist = state.attrs[attr.key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old != new:
            changes[attr.key] = [_jsonable(old), _jsonable(new)]
    return changes


def actor() -> dict[str, Any]:
    """Who is acting, from the request if there is one (CLI and scripts act as 'system')."""
    info: dict[str, Any] = {"user_id": None, "user_email": "system", "ip": "", "request_id": ""}
    if has_request_context():
        info["ip"] = request.remote_addr or ""
        info["request_id"] = g.get("request_id", "")
        if current_user and current_user.is_authenticated:
            info["user_id"] = current_user.id
            info["user_email"] = current_user.email
        elif g.get("audit_actor"):
            info["user_email"] = g.audit_actor
    return info


def patient_of(obj) -> int | None:
    """The patient a row belongs to: its own patient_id, or its parent's (`audit_parent`
    names the relationship, e.g. a session's point rows belong to the session's patient)."""
    parent_name = getattr(obj, "audit_parent", None)
    if parent_name:
        parent = getattr(obj, parent_name, None)
        if parent is None:  # a new row given only its parent's id: load the parent by that id
            mapper = inspect(type(obj))
            rel = mapper.relationships[parent_name]
            key = [getattr(obj, mapper.get_property_by_column(c).key) for c in rel.local_columns]
            session = object_session(obj)
            if session is not None and None not in key:
                parent = session.get(rel.mapper.class_, key[0] if len(key) == 1 else key)
        return getattr(parent, "patient_id", None) if parent is not None else None
    return getattr(obj, "audit_patient_id", None) or getattr(obj, "patient_id", None)


def _audited(obj) -> bool:
    return getattr(obj, "__audited__", False)


@event.listens_for(Session, "before_flush")
def _collect(session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry):
            raise PermissionError("Audit entries are append-only")
    pending = session.info.setdefault("audit_pending", [])
    pending.extend(("create", obj, None) for obj in session.new if _audited(obj))
    for obj in session.dirty:
        if _audited(obj) and session.is_modified(obj, include_collections=False):
            changes = _diff(obj)
            if changes:
                pending.append(("update", obj, changes))
    pending.extend(("delete", obj, _snapshot(obj)) for obj in session.deleted if _audited(obj))


def _entity_id(obj) -> str:
    """The row's primary key. A new row has no identity key until the flush is over, but its
    key attributes are already set (the INSERT returned them), so read those."""
    key = inspect(obj).identity or inspect(obj).mapper.primary_key_from_instance(obj)
    values = [v for v in key if v is not None]
    return ",".join(str(v) for v in values) if len(values) == len(key) else ""


@event.listens_for(Session, "after_flush")
def _write(session, flush_context) -> None:
    pending = session.info.pop("audit_pending", [])
    if not pending:
        return
    who = actor()
    rows = [
        {
            **who,
            "action": action,
            "entity": type(obj).__name__,
            "entity_id": _entity_id(obj),
            "patient_id": patient_of(obj),
            "changes": _snapshot(obj) if action == "create" else changes,
        }
        for action, obj, changes in pending
    ]
    session.connection().execute(insert(AuditEntry.__table__), rows)


@event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop("audit_pending", None)


def record(action: str, entity: str = "", entity_id: Any = "", patient_id: int | None = None,
           changes: dict | None = None, user_email: str | None = None, user=None) -> None:
    """Add an explicit event (login, failed login, record viewed); the caller commits."""
    who = actor()
    if user is not None:
        who["user_id"], who["user_email"] = user.id, user.email
    elif user_email:
        who["user_email"] = user_email
    # Written at once by a plain INSERT on the session's transaction (the caller's commit or
    # rollback decides it): as a new object it cost a flush of its own, about 1 ms on a page
    # that records who read it.
    db.session.execute(insert(AuditEntry.__table__), [{
        "action": action, "entity": entity, "entity_id": str(entity_id),
        "patient_id": patient_id, "changes": changes, **who}])
