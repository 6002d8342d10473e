"""One-time submission keys: a create or book form carries a random key (`submission_key`, see
`forms.submission_key_input`), and the write it causes stores the key (unique) in the same
transaction. A second request with the same key (a double tap, a retry after a timeout, a
replay) creates nothing and is sent to the first request's result; one arriving while the first
is still being saved waits for it at the unique index and then does the same.

    if (done := submissions.claim()) is not None:     # before writing anything
        return done
    row = services.create(...)
    if (done := submissions.commit(url_for(".detail", id=row.id))) is not None:
        return done                                     # lost a race: the first one's result

`commit` raises `Clash` when another unique constraint refused the write (someone saved the
same thing at the same moment); the view shows its form with the message, and the app answers
any `Clash` it did not catch with a 409 page, never a 500.

`lock_row` takes a row's write lock for the rest of the transaction and forgets what was read
before it, so a read-modify-write (booking a plan's course, merging intake drafts, saving a
session record) works on the latest committed row."""
import re
from datetime import datetime, timedelta

from flask import flash, redirect, request
from flask_login import current_user
from sqlalchemy import ForeignKey, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .security import safe_next
from .timeutil import utcnow

FIELD = "submission_key"
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEEP = timedelta(days=1)
ALREADY = "That was already saved (it was sent more than once); this is the result."


class Submission(db.Model):
    """A create or book form's one-time key and where its result is."""

    __tablename__ = "submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    endpoint: Mapped[str] = mapped_column(String(100), default="")
    result_url: Mapped[str] = mapped_column(String(500), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Clash(Exception):
    """A unique constraint other than the submission key refused the write."""

    message = ("Someone else saved the same thing at the same moment, so this was not saved. "
               "Check what is there now and send the form again if it is still needed.")


def posted_key() -> str | None:
    key = request.form.get(FIELD, "") if request.method == "POST" else ""
    return key if KEY_RE.match(key) else None


def _find(key: str) -> Submission | None:
    return db.session.scalars(select(Submission).where(Submission.key == key)).first()


def _answer(row: Submission | None) -> object:
    if row is not None and row.result_url:
        flash(ALREADY, "info")
        return redirect(row.result_url)
    # The first request rolled back after this one lost to it (rare): start again from the page.
    flash("That form was sent twice at the same moment. Check whether it was saved before "
          "sending it again.", "warning")
    here = request.full_path if request.query_string else request.path
    return redirect(safe_next(here, "/"))  # "//host/x" is a path too, and would leave the site


def replayed() -> object | None:
    """The first request's result when this form's key was used already, else None: for views
    whose validation reads the database (an email already taken), checked before validating so a
    twin that lost the race gets the first result, not a form error; and again after a failed
    validation, for a twin that committed while this one was validating."""
    key = posted_key()
    found = _find(key) if key is not None else None
    return _answer(found) if found is not None and found.result_url else None


def claim() -> object | None:
    """Before writing: the first request's result if this key was used already, else None after
    storing the key in this transaction (a concurrent twin waits for it here). A post without a
    key (an old page, a script) is written as before."""
    key = posted_key()
    if key is None:
        return None
    found = _find(key)
    if found is not None:
        return _answer(found)
    user_id = current_user.id if getattr(current_user, "is_authenticated", False) else None
    db.session.add(Submission(key=key, endpoint=(request.endpoint or "")[:100],
                              user_id=user_id))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _answer(_find(key))
    return None


def commit(result_url: str) -> object | None:
    """Record where this request's result is and commit. Returns the first request's result if a
    twin with the same key won meanwhile; raises Clash for any other unique violation."""
    key = posted_key()
    row = _find(key) if key is not None else None
    if row is not None:  # claimed by this request (a used key was answered by claim)
        row.result_url = result_url[:500]
        db.session.execute(delete(Submission).where(Submission.created_at < utcnow() - KEEP)
                           .execution_options(synchronize_session=False))
    try:
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        if key is not None and (found := _find(key)) is not None:
            return _answer(found)
        raise Clash() from error
    return None


def lock_row(model, row_id: int) -> None:
    """Hold the row's write lock until the transaction ends (PostgreSQL: FOR UPDATE; SQLite: a
    write statement, which takes the database's one write lock) and expire the row as this
    session read it before, so what follows reads its latest committed state (rows the caller
    queries afterwards, such as another request's new appointments, load fresh)."""
    table = model.__table__
    db.session.flush()  # nothing unsaved on the row is lost to the expiry below
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(table.c.id).where(table.c.id == row_id).with_for_update())
    else:
        column = next(c for c in table.columns if not c.primary_key and not c.foreign_keys)
        db.session.execute(table.update().where(table.c.id == row_id)
                           .values({column: column}))
    held = db.session.identity_map.get(db.session.identity_key(model, (row_id,)))
    if held is not None:  # read again, with its collections, on next use
        db.session.expire(held)
