"""What the current request has saved, so the 500 page says only what is true.

Session events note, per request, whether a commit stored changes to the clinic's data (rows
other than the bookkeeping of audit entries, login sessions and throttles, which every request
may write), whether flushed changes were rolled back unsent, and whether a COMMIT was sent but
never confirmed (a connection lost at that moment: the outcome is unknown). `hint()` turns that
into the sentence the error page shows."""
from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

BOOKKEEPING_TABLES = frozenset({"audit_entry", "login_session", "throttle_event"})

SAVED = ("What you entered was saved, but the page that should have followed failed. Open the "
         "record to check it before entering anything again.")
PART = ("Part of what you entered was saved and part was not. Open the record to check it "
        "before entering anything again.")
UNKNOWN = ("The database may or may not have saved what you entered. Open the record to check "
           "it before entering anything again.")
NOTHING = "Nothing was saved. Please try again."
TAIL = " If it keeps happening, tell your administrator."


def _state() -> dict | None:
    if not has_request_context():
        return None
    if "saved_state" not in g:
        g.saved_state = {"saved": False, "lost": False, "unknown": False}
    return g.saved_state


def _is_data(obj) -> bool:
    table = getattr(type(obj), "__tablename__", "")
    return table not in BOOKKEEPING_TABLES


@event.listens_for(Session, "after_flush")
def _flushed(session, flush_context) -> None:
    changed = [o for o in session.new if _is_data(o)] + [
        o for o in session.deleted if _is_data(o)] + [
        o for o in session.dirty if _is_data(o) and session.is_modified(o)]
    if changed:
        session.info["unsaved_data"] = True


@event.listens_for(Session, "do_orm_execute")
def _statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(getattr(state.statement, "table", None), "name", "")
        if table not in BOOKKEEPING_TABLES:
            state.session.info["unsaved_data"] = True


@event.listens_for(Engine, "commit")
def _commit_sent(conn) -> None:
    # COMMIT is about to go to the database: if no success follows, its outcome is unknown.
    if (state := _state()) is not None:
        state["commit_sent"] = True


@event.listens_for(Session, "after_commit")
def _committed(session) -> None:
    state = _state()
    if state is not None:
        state["commit_sent"] = False
    if session.info.pop("unsaved_data", False) and state is not None:
        state["saved"] = True


@event.listens_for(Session, "after_rollback")
def _rolled_back(session) -> None:
    state = _state()
    sent = state.pop("commit_sent", False) if state is not None else False
    if session.info.pop("unsaved_data", False) and state is not None:
        state["unknown" if sent else "lost"] = True


def hint() -> str:
    """The true sentence about this request's data, for an error page."""
    state = _state() or {}
    if state.get("unknown"):
        return UNKNOWN + TAIL
    if state.get("saved"):
        return (PART if state.get("lost") else SAVED) + TAIL
    return NOTHING + TAIL
