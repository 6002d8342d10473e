"""Issue 14, small things: audit "create" rows carry their entity id; the 500 page says only
what is true (saved, not saved, or unknown); the summary PDF draws its chart in a few SVG nodes
(the cost that made a 300-session PDF take over a second; timed by `python -m bench.summary_pdf`,
not here)."""
import re
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from tests import factories
from tests.conftest import Auth, Client
from tracker.audit.models import AuditEntry
from tracker.extensions import db
from tracker.patients.models import Patient
from tracker.reports.chart import pain_chart


def test_audit_create_rows_carry_the_new_rows_id(app):
    with app.app_context():
        mei = factories.practitioner()
        ana = factories.patient()
        plan = factories.plan(ana, mei, start_on=date(2026, 10, 13))
        db.session.commit()
        creates = db.session.execute(select(AuditEntry.entity, AuditEntry.entity_id).where(
            AuditEntry.action == "create")).all()
        assert ("Patient", str(ana.id)) in creates
        assert ("TreatmentPlan", str(plan.id)) in creates
        assert [row for row in creates if not row.entity_id] == []


def _app_with_routes(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False, TESTING=False)

    def new_patient(given: str) -> None:
        db.session.add(Patient(given_name=given, family_name="Page",
                               date_of_birth=date(1980, 1, 1)))

    @app.post("/boom/after-save")
    def after_save():
        new_patient("Saved")
        db.session.commit()
        raise RuntimeError("the page after the save failed")

    @app.post("/boom/before-save")
    def before_save():
        new_patient("Unsaved")
        db.session.flush()
        raise RuntimeError("failed before the commit")

    @app.post("/boom/half")
    def half():
        new_patient("First")
        db.session.commit()
        new_patient("Second")
        db.session.flush()
        raise RuntimeError("failed between two commits")

    @app.post("/boom/commit-lost")
    def commit_lost():
        def lost(conn):
            raise RuntimeError("connection lost while committing")
        new_patient("Maybe")
        db.session.flush()
        sa.event.listen(db.engine, "commit", lost)
        try:
            db.session.commit()
        finally:
            sa.event.remove(db.engine, "commit", lost)

    app.test_client_class = Client
    client = app.test_client()
    Auth(app, client).login("practitioner")
    return app, client


@pytest.mark.parametrize(("path", "says", "stored"), [
    ("/boom/after-save", "What you entered was saved", ["Saved"]),
    ("/boom/before-save", "Nothing was saved", []),
    ("/boom/half", "Part of what you entered was saved", ["First"]),
    ("/boom/commit-lost", "may or may not have saved", []),
])
def test_the_500_page_says_only_what_is_true(make_app, path, says, stored):
    app, client = _app_with_routes(make_app)
    response = client.post(path)
    assert response.status_code == 500
    assert says in response.text and "half-saved" not in response.text
    with app.app_context():
        assert sorted(db.session.scalars(select(Patient.given_name).where(
            Patient.family_name == "Page"))) == stored


def test_a_read_that_fails_does_not_talk_about_saving_data(make_app):
    app = make_app(PROPAGATE_EXCEPTIONS=False, TESTING=False)

    @app.get("/boom/read")
    def read():
        raise RuntimeError("a page failed")

    app.test_client_class = Client
    client = app.test_client()
    Auth(app, client).login("practitioner")  # the login itself wrote: bookkeeping only
    response = client.get("/boom/read")
    assert response.status_code == 500 and "Nothing was saved" in response.text


def _sessions(n: int):
    from tracker.clinical.outcomes import SessionPain
    first = datetime.combine(date(2025, 1, 6), time(10))
    return [SessionPain(number=i + 1, visit_on=(first + timedelta(weeks=i)).date(),
                        before=max(3, 8 - i // 8), after=max(1, 6 - i // 8),
                        reevaluation=(i + 1) % 6 == 0)
            for i in range(n)]


def test_the_pdf_chart_is_a_few_nodes_not_one_per_session():
    sessions = _sessions(300)
    page = str(pain_chart(sessions, 8, 3))
    printed = str(pain_chart(sessions, 8, 3, compact=True))
    assert page.count("<circle") == 600  # the page keeps a node per point (data attributes)
    assert printed.count("<circle") == 0 and len(re.findall(r"<\w+", printed)) < 60
    assert printed.count('class="reeval"') == 1 and printed.count("<polyline") == 2
    assert "points-before" not in printed  # 300 dots would overlap: the lines carry them
    few = str(pain_chart(_sessions(20), 8, 3, compact=True))
    assert few.count('class="points-before"') == few.count('class="points-after"') == 1
    assert few.count("<circle") == 0 and few.count("h0.01") == 60  # 20 before, 20 after x2
    assert "No sessions recorded yet" in str(pain_chart([], None, None, compact=True))
