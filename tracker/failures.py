"""When the database cannot take a write (disk full, read-only, unreachable, timed out, locked).

A post the database refused is shown again as typed, never as a bare 500: the error handler
rolls back and runs the same view once more on the same request, with every FlaskForm's
`validate_on_submit()` answering False, so the view draws its form from the posted data (as it
does for a validation error) under a message saying nothing was saved. A view that posts
without `validate_on_submit` checks `g.db_unavailable` itself (the intake step). If even that
cannot be drawn (the database is unreachable, so the page's own reads fail), a plain page
needing no database shows what was typed and sends it again with one button.
"""
from flask import Flask, flash, g, make_response, request
from flask_wtf import FlaskForm
from sqlalchemy import exc

from .extensions import db

# What to catch; is_unavailable() then tells a refusal from a mistake (which is re-raised).
UNAVAILABLE = (exc.DBAPIError, exc.TimeoutError)
NOT_SAVED = ("Nothing was saved: {cause}. What you typed is still here; "
             "please try again in a moment.")


def cause(error: BaseException) -> str:
    """A short, true reason in plain words (for the page, the log and /readyz)."""
    text = str(getattr(error, "orig", None) or error).lower()
    if "disk is full" in text or "no space left" in text or "disk full" in text:
        return "the database's disk is full"
    if "readonly" in text or "read-only" in text or "read only" in text:
        return "the database is read-only"
    if "statement timeout" in text or "canceling statement" in text or "interrupted" in text:
        return "the database did not answer in time"
    if isinstance(error, exc.TimeoutError) or "timeout" in text or "timed out" in text:
        return "the database did not answer in time"
    if "locked" in text or "busy" in text:
        return "the database is busy"
    return "the database cannot be reached"


def rollback() -> None:
    try:
        db.session.rollback()
    except UNAVAILABLE:  # the connection itself is gone: drop the session's hold on it
        db.session.close()


def _validate_on_submit(original):
    def validate_on_submit(self, *args, **kwargs):
        if g.get("db_unavailable"):  # draw the posted form again, as typed
            return False
        return original(self, *args, **kwargs)
    validate_on_submit.redraws_on_failure = True
    return validate_on_submit


def init_app(app: Flask) -> None:
    app.jinja_env.globals["not_saved_message"] = lambda why: NOT_SAVED.format(cause=why)
    if not getattr(FlaskForm.validate_on_submit, "redraws_on_failure", False):
        FlaskForm.validate_on_submit = _validate_on_submit(FlaskForm.validate_on_submit)

    for error_class in UNAVAILABLE:
        app.register_error_handler(error_class, unavailable)


def is_unavailable(error: BaseException) -> bool:
    """The database could not take this (full, read-only, gone, too slow, locked), as opposed
    to a mistake in the statement or the schema, which stays a 500."""
    if isinstance(error, exc.TimeoutError):
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    text = str(error.orig).lower()
    if "no such table" in text or "no such column" in text or "syntax error" in text:
        return False  # sqlite3 calls these OperationalError too
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        return True
    state = getattr(error.orig, "sqlstate", None) or ""
    # read-only transaction (a standby), insufficient resources, operator intervention, connection
    return state == "25006" or state[:2] in ("53", "57", "08")


def unavailable(error: Exception):
    if not is_unavailable(error):
        raise error
    rollback()
    why = cause(error)
    from flask import current_app
    current_app.logger.warning("database unavailable (%s) on %s %s: %s", why, request.method,
                               request.path, getattr(error, "orig", error))
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method == "POST" and view is not None and not g.get("db_unavailable"):
        g.db_unavailable = why
        try:
            response = make_response(view(**(request.view_args or {})))
        except UNAVAILABLE as again:
            if not is_unavailable(again):
                raise
            rollback()
        else:
            g.pop("db_unavailable", None)
            if response.status_code // 100 == 3:  # a button's view went back to its page
                flash(NOT_SAVED.format(cause=why).replace(" What you typed is still here;",
                                                          ""), "error")
            else:  # base.html says so above the form (g.db_unavailable)
                response.status_code = 503
            response.headers["Retry-After"] = "30"
            return response
    return plain_page(why)


def plain_page(why: str):
    """A page that needs no database: the cause, and for a post what was typed, sent again
    (same fields, same token) by one button."""
    fields = []
    if request.method == "POST":
        fields = [(name, value) for name, values in request.form.lists() for value in values
                  if "password" not in name and name != "code"]
    shown = [(name, value) for name, value in fields
             if name not in ("csrf_token", "action", "submission_key") and value.strip()]
    # Straight from the environment: the context processors would load the user (a query).
    from flask import current_app
    body = current_app.jinja_env.get_template("not_saved.html").render(
        cause=why, fields=fields, shown=shown, post=request.method == "POST",
        action=request.full_path.rstrip("?"))
    return body, 503, {"Retry-After": "30"}
