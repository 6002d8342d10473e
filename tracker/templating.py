"""Template filters shared by every feature: dates shown in the clinic's time zone."""
from datetime import date, datetime

from flask import Flask

from . import clock


def localdt(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """A UTC timestamp as the clinic's wall-clock time."""
    if value is None:
        return "—"
    return clock.local(value).strftime(fmt)


def localdate(value: datetime | date | None, fmt: str = "%d %b %Y") -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return localdt(value, fmt)
    return value.strftime(fmt)


def init_app(app: Flask) -> None:
    app.add_template_filter(localdt)
    app.add_template_filter(localdate)
    from .forms import submission_key_input
    app.add_template_global(submission_key_input, "submission_key")
