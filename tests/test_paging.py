"""tracker.paging: the same pages and figures as db.paginate, with the count statement saved
when a page is not full."""
import pytest
from sqlalchemy import event, select
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
        seen = []

        def count(*args):
            seen.append(args[2])
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            paginate(stmt, page=3, per_page=3)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        assert len(seen) == 1  # the last, short page: no count
        with pytest.raises(NotFound):
            paginate(stmt, page=4, per_page=3)
