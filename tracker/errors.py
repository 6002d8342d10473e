"""Error pages in the app's style; CSRF failures explained, not shown as a bare 400."""
from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError

from . import saved
from .extensions import db
from .intake.services import DraftTooLarge
from .submissions import Clash

MESSAGES = {
    400: ("Something in that request was not right",
          "Go back, check the page and try again."),
    403: ("You do not have access to this page",
          "Your role does not include this. Ask an administrator if you need it."),
    404: ("Page not found", "The link may be old, or the record may have been moved."),
    405: ("That action is not allowed here", "Go back and use the buttons on the page."),
    409: ("Someone else changed this first", "Reload the page to see the latest version."),
    413: ("That was too much to send at once",
          "The page sent more than this app accepts in one go. Nothing from it was "
          "saved; what was saved before is kept. Shorten the longest answers and send it again."),
    500: ("Something went wrong on our side",  # the hint says what was saved: saved.hint()
          "Please try again; if it keeps happening, tell your administrator."),
}


def init_app(app: Flask) -> None:
    from . import failures
    failures.init_app(app)  # the database refused a write: the form again, as typed (503)

    def render(code: int, detail: str | None = None, back: str | None = None):
        title, hint = MESSAGES.get(code, MESSAGES[400])
        return render_template("error.html", code=code, title=title, hint=detail or hint,
                               back=back), code

    for code in (400, 403, 404, 405, 409):
        app.register_error_handler(code, lambda e, code=code: render(code))

    @app.errorhandler(413)
    def _too_large(e):
        # Back to the same page (a GET shows the form again, with whatever was saved before).
        return render(413, back=request.path if request.method == "POST" else None)

    @app.errorhandler(Clash)
    @app.errorhandler(IntegrityError)
    def _clash(e):
        # A constraint refused a write no view caught (a race with another request): nothing
        # was saved, so say that rather than answer 500.
        db.session.rollback()
        if isinstance(e, IntegrityError):
            app.logger.warning("write refused by a constraint: %s", e.orig)
        return render(409, Clash.message, back=request.path if request.method == "POST"
                      else None)

    @app.errorhandler(DraftTooLarge)
    def _draft_too_large(e):
        db.session.rollback()
        return render(413, str(e), back=request.path)

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render(400, "The form's security token was missing or has expired. Go back, "
                           "reload the page and submit again.")

    @app.errorhandler(500)
    def _server_error(e):
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001  (the connection itself is gone)
            db.session.close()
        hint = saved.hint()  # only what is true: saved, not saved, or unknown
        try:
            return render(500, hint)
        except Exception:  # the layout itself failed: still answer in plain words
            app.logger.exception("error page failed")
            title = MESSAGES[500][0]
            return (f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{hint}</p>", 500,
                    {"Content-Type": "text/html; charset=utf-8"})
