"""tracker.paging: the same pages and figures as db.paginate, with the count statement saved
when a page is not full or a window count brings the total."""
import pytest
from sqlalchemy import bindparam, event, func, select
from werkzeug.exceptions import NotFound

from tracker.audit.models import AuditEntry
from tracker.extensions import db
from tracker.paging import paginate


def test_pages_and_totals_match_db_paginate_and_a_short_page_is_not_counted(app):
    with app.test_request_context():
        db.session.add_all(AuditEntry(action="login", entity_id=str(n)) for n in range(7))
        db.session.commit()
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        for per_page, page in [(3, 1), (3, 2), (3, 3), (10, 1), (7, 1)]:
            got = paginate(stmt, page=page, per_page=per_page)
            expected = db.paginate(stmt, page=page, per_page=per_page)
            assert [e.id for e in got.items] == [e.id for e in expected.items]
            assert (got.total, got.pages, got.has_next) == (expected.total, 7 // per_page
                                                            + bool(7 % per_page), expected.has_next)
        rows = paginate(select(AuditEntry.entity_id).order_by(AuditEntry.id), page=1, per_page=5,
                        rows=True)
        assert [r.entity_id for r in rows.items] == ["0", "1", "2", "3", "4"] and rows.total == 7
        _, statements = _statements(app, lambda: paginate(stmt, page=3, per_page=3))
        assert statements == 1  # the last, short page: no count
        with pytest.raises(NotFound):
            paginate(stmt, page=4, per_page=3)


def _statements(app, run):
    seen = []

    def count(*args):
        seen.append(args[2])
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return result, len(seen)


def test_a_window_count_brings_the_total_a_prebuilt_statement_takes_its_parameters(app):
    with app.test_request_context():
        db.session.add_all(AuditEntry(action="login", entity_id=str(n)) for n in range(7))
        db.session.add_all(AuditEntry(action="logout", entity_id="x") for _ in range(2))
        db.session.commit()
        prebuilt = (select(AuditEntry.id, AuditEntry.entity_id, func.count().over().label("total"))
                    .where(AuditEntry.action == bindparam("action")).order_by(AuditEntry.id)
                    .limit(bindparam("limit")).offset(bindparam("offset")))
        login = {"action": "login"}
        page, statements = _statements(app, lambda: paginate(
            prebuilt, page=1, per_page=3, rows=True, params=login,
            to_items=lambda rows: [r.entity_id for r in rows]))
        assert page.items == ["0", "1", "2"] and statements == 1  # a full page, yet no count
        assert (page.total, page.pages, page.has_next) == (7, 3, True)
        page = paginate(prebuilt, page=3, per_page=3, rows=True, params=login)
        assert [r.entity_id for r in page.items] == ["6"] and not page.has_next
        # Past the end no row carries the total: counted apart (by `count` when given).
        for count in (None, select(func.count(AuditEntry.id)).where(
                AuditEntry.action == bindparam("action"))):
            page, statements = _statements(app, lambda count=count: paginate(
                prebuilt, page=4, per_page=3, rows=True, params=login, count=count,
                error_out=False, to_items=lambda rows: 1 / 0))
            assert (page.items, page.total, statements) == ([], 7, 2)
        with pytest.raises(NotFound):
            paginate(prebuilt, page=4, per_page=3, rows=True, params=login)
        page = paginate(prebuilt, page=1, per_page=3, rows=True, params={"action": "none"})
        assert (page.items, page.total, page.pages) == ([], 0, 0)
        # Entities with a window count: the entities are the items.
        entities = select(AuditEntry, func.count().over()).order_by(AuditEntry.id)
        page, statements = _statements(app, lambda: paginate(entities, page=2, per_page=4))
        assert [e.entity_id for e in page.items] == ["4", "5", "6", "x"] and statements == 1
        assert (page.total, page.pages, page.has_next) == (9, 3, True)
