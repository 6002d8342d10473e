"""The navigation bar: its links in one declaration, and their badge counts. Every page shows
the bar, so all the badges the user may see come from one statement, read once per request
(each count's rule stays in its feature's services), and the links' URLs are built once per
application (they take no arguments)."""
from dataclasses import dataclass
from functools import cache

from flask import current_app, g, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from .extensions import db
from .intake.services import awaiting_review_counted
from .permissions import can
from .portal.services import open_counted

# badge: (the permission that shows it, its count statement)
BADGES = {"intakes": ("clinical.view", awaiting_review_counted),
          "requests": ("schedule.view", open_counted)}


@dataclass(frozen=True)
class Link:
    label: str
    endpoint: str
    permission: str | None  # None: every signed-in user
    sections: tuple[str, ...] = ()  # blueprints whose other pages mark the link "you are here"
    badge: str | None = None  # a BADGES name
    badge_words: str = ""  # what the count means, for screen readers


LINKS = (
    Link("Today", "main.dashboard", None),
    Link("Patients", "patients.index", "patients.view", ("patients",)),
    Link("Schedule", "schedule.index", "schedule.view", ("schedule",)),
    Link("Intakes", "intake.index", "clinical.view", ("intake",), "intakes", " awaiting review"),
    Link("Outcomes", "reports.outcomes", "outcomes.view"),
    Link("Requests", "portal.requests", "schedule.view", ("portal",), "requests", " waiting"),
    Link("Messages", "messages.log", "messages.view", ("messages",)),
    Link("Staff", "users.index", "users.manage", ("users",)),
    Link("Settings", "settings.edit", "settings.manage", ("settings", "note_templates")),
    Link("Audit", "audit.index", "audit.view", ("audit",)),
)


@cache
def _statement(names: tuple[str, ...]):
    # Built once per set of badges: building a statement costs more than running this one.
    return select(*(BADGES[name][1]().scalar_subquery().label(name) for name in names))


def count(name: str) -> int:
    """The badge's count on this page (0 where the user may not see it)."""
    if "nav_counts" not in g:
        user = current_user._get_current_object()
        names = tuple(n for n, (perm, _) in BADGES.items() if can(user, perm))
        g.nav_counts = (dict(db.session.execute(_statement(names)).one()._mapping)
                        if names else {})
    return g.nav_counts.get(name, 0) or 0


def fixed_url(endpoint: str, filename: str | None = None) -> str:
    """url_for for a URL without variable parts (the bar's links, the layout's static files),
    built once per application and mount point."""
    urls = current_app.extensions.setdefault("fixed_urls", {})
    key = (request.script_root, endpoint, filename)
    if key not in urls:
        urls[key] = (url_for(endpoint, filename=filename) if filename is not None
                     else url_for(endpoint))
    return urls[key]


def current(link: Link) -> Markup:
    """aria-current: "page" on the page the link opens, "true" on any other page of its
    section, so the bar always shows where one is."""
    if request.endpoint == link.endpoint:
        return Markup(' aria-current="page"')
    if request.blueprint in link.sections:
        return Markup(' aria-current="true"')
    return Markup("")


def bar() -> list[tuple[Link, str, Markup, int]]:
    """The links this user may follow: (link, URL, aria-current, badge count)."""
    user = current_user._get_current_object()
    return [(link, fixed_url(link.endpoint), current(link), count(link.badge) if link.badge else 0)
            for link in LINKS
            if (link.permission is None or can(user, link.permission))
            and link.endpoint in current_app.view_functions]
