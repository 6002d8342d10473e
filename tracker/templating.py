"""Template filters shared by every feature: dates shown in the clinic's time zone, written
the one way the clinic chose (Settings: date style) on every page, letter, PDF and message.

`date_text` and `datetime_text` are the one home of a human-facing date: templates use the
`localdate` and `localdt` filters, Python code (flash messages, labels, titles) calls them
directly. A `fmt` given to a filter is for times ("%H:%M") and machine values (a URL's
"%Y-%m-%d"), never for a date a person reads."""
from collections.abc import Callable
from datetime import date, datetime

from flask import Flask, url_for

from . import clock
from .settings.services import get_settings

# key: (how it looks, with the year, without it). Month names are English, as the app is.
DATE_STYLES = {
    "d_mon_y": ("03 Dec 2026", "{dd} {mon} {year}", "{dd} {mon}"),
    "dmy": ("03/12/2026", "{dd}/{mm}/{year}", "{dd}/{mm}"),
    "mdy": ("12/03/2026", "{mm}/{dd}/{year}", "{mm}/{dd}"),
    "iso": ("2026-12-03", "{year}-{mm}-{dd}", "{mm}-{dd}"),
}
DEFAULT_STYLE = "d_mon_y"


def _style() -> str:
    style = get_settings().date_style or DEFAULT_STYLE
    return style if style in DATE_STYLES else DEFAULT_STYLE


def date_text(value: date, weekday: bool = False, year: bool = True,
              style: str | None = None) -> str:
    """A date as the clinic writes it: "03 Dec 2026", "Thu 03 Dec 2026", "03 Dec"."""
    _, with_year, without = DATE_STYLES[style or _style()]
    text = (with_year if year else without).format(
        dd=f"{value.day:02d}", mm=f"{value.month:02d}", year=value.year,
        mon=value.strftime("%b"))
    return f"{value:%a} {text}" if weekday else text


def datetime_text(value: datetime, weekday: bool = False, year: bool = True) -> str:
    """A UTC instant on the clinic's wall clock: "Thu 03 Dec 2026, 10:30"."""
    at = clock.local(value)
    return f"{date_text(at.date(), weekday, year)}, {at:%H:%M}"


def localdt(value: datetime | None, fmt: str | None = None, weekday: bool = False,
            year: bool = True) -> str:
    """A UTC timestamp as the clinic's wall-clock time (`fmt`: a time or a machine value)."""
    if value is None:
        return "—"
    if fmt is not None:
        return clock.local(value).strftime(fmt)
    return datetime_text(value, weekday, year)


def localdate(value: datetime | date | str | None, fmt: str | None = None,
              weekday: bool = False, year: bool = True) -> str:
    """A date (or the clinic's date at an instant, or an ISO date as a plan version's snapshot
    keeps it) in the clinic's date style."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        if fmt is not None:
            return localdt(value, fmt)
        value = clock.local_date(value)
    elif fmt is not None:
        return value.strftime(fmt)
    return date_text(value, weekday, year)


def id_url(endpoint: str, name: str) -> Callable[[int], str]:
    """url_for(endpoint, name=id) for the many rows of one page: the URL is built once and each
    row's id put in its place (a url_for per row cost more than the row's other cells)."""
    marker = "2147483647"
    head, tail = url_for(endpoint, **{name: int(marker)}).split(marker, 1)
    return lambda value: f"{head}{int(value)}{tail}"


def init_app(app: Flask) -> None:
    app.add_template_filter(localdt)
    app.add_template_filter(localdate)
    from . import nav
    app.add_template_global(nav.bar, "nav_bar")
    app.add_template_global(nav.fixed_url)
    app.add_template_global(id_url)
    from .forms import submission_key_input
    app.add_template_global(submission_key_input, "submission_key")
