"""The shared test worlds make what the app itself would make."""
from datetime import date, time

from sqlalchemy import select

from tests import factories
from tests.intake_helpers import answers
from tracker import clock
from tracker.extensions import db
from tracker.flags.models import SafetyFlag
from tracker.measurements.models import Measurement
from tracker.schedule.models import Appointment


def test_a_booked_course_with_a_signed_visit_and_a_submitted_intake(app):
    with app.test_request_context():
        mei = factories.practitioner("mei@example.org")
        ana = factories.patient()
        intake = factories.submitted_intake(ana, answers(pain={"nrs_now": "8"}))
        plan = factories.plan(ana, mei, points=[("UB23", "bilateral"), ("Ashi: neck", "left")],
                              start_on=date(2026, 10, 13))
        _, visits = factories.book_course(plan, when=clock.to_utc(date(2026, 10, 12), time(8)))
        record = factories.signed_session(ana, mei, visits[0], pain_before=7, pain_after=4)
        db.session.commit()
        assert intake.status == "submitted" and plan.status == "active"
        assert [(p.code, p.location) for p in plan.points] == [("BL23", ""), (None, "Ashi: neck")]
        assert len(visits) == 10 and visits[0].status == "attended"
        assert record.status == "signed" and record.insertions == 4
        assert record.visit_on == date(2026, 10, 13) and ana.last_visit_on == date(2026, 10, 13)
        rows = {(m.source, m.instrument, m.time_frame): m.value
                for m in db.session.scalars(select(Measurement))}
        assert rows[("intake", "nrs", "now")] == 8
        assert rows[("session", "nrs", "now")] == 7
        assert rows[("session", "nrs", "after_needling")] == 4
        assert db.session.scalars(select(SafetyFlag.kind)).all()  # warfarin: bleeding risk
        assert len(db.session.scalars(select(Appointment)).all()) == 10
