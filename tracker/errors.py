"""Error pages in the app's style; CSRF failures explained, not shown as a bare 400."""
from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from .extensions import db

MESSAGES = {
    400: ("Something in that request was not right",
          "Go back, check the page and try again."),
    403: ("You do not have access to this page",
          "Your role does not include this. Ask an administrator if you need it."),
    404: ("Page not found", "The link may be old, or the record may have been moved."),
    405: ("That action is not allowed here", "Go back and use the buttons on the page."),
    409: ("Someone else changed this first", "Reload the page to see the latest version."),
    500: ("Something went wrong on our side",
          "Nothing you entered was half-saved. Please try again; if it keeps happening, "
          "tell your administrator."),
}


def init_app(app: Flask) -> None:
    def render(code: int, detail: str | None = None):
        title, hint = MESSAGES.get(code, MESSAGES[400])
        return render_template("error.html", code=code, title=title, hint=detail or hint), code

    for code in (400, 403, 404, 405, 409):
        app.register_error_handler(code, lambda e, code=code: render(code))

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render(400, "The form's security token was missing or has expired. Go back, "
                           "reload the page and submit again.")

    @app.errorhandler(500)
    def _server_error(e):
        db.session.rollback()
        try:
            return render(500)
        except Exception:  # the layout itself failed: still answer in plain words
            app.logger.exception("error page failed")
            title, hint = MESSAGES[500]
            return (f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{hint}</p>", 500,
                    {"Content-Type": "text/html; charset=utf-8"})
