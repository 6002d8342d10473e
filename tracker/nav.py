"""The navigation bar's badge counts. Every page shows them, so all the badges the user may see
come from one statement, read once per request (each count's rule stays in its feature's
services)."""
from functools import cache

from flask import g
from flask_login import current_user
from sqlalchemy import select

from .extensions import db
from .intake.services import awaiting_review_counted
from .permissions import can
from .portal.services import open_counted

# badge: (the permission that shows it, its count statement)
BADGES = {"intakes": ("clinical.view", awaiting_review_counted),
          "requests": ("schedule.view", open_counted)}


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
