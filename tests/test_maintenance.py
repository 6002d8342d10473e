"""`flask maintenance`: ended logins, old throttle rows and expired intake drafts are pruned under
the clinic's retention; live logins, recent failures, live or recent drafts and anything
submitted stay."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import make_user
from tracker.accounts.models import LoginSession, ThrottleEvent
from tracker.audit.models import AuditEntry
from tracker.extensions import db
from tracker.intake.models import Intake, IntakeInvitation
from tracker.patients import services as patient_services
from tracker.timeutil import utcnow

DAY = timedelta(days=1)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def rows(app):
    """Logins, throttle rows and intakes of every age; returns what should stay, by name."""
    user_id = make_user(app, "practitioner")
    now = utcnow()
    with app.app_context():
        def login(name, created, seen, ended=None):
            db.session.add(LoginSession(token_hash=name.ljust(64, "x"), user_id=user_id,
                                        created_at=now - created, last_seen_at=now - seen,
                                        ended_at=None if ended is None else now - ended))
        login("live", timedelta(hours=1), timedelta(minutes=1))
        login("ended-yesterday", 2 * DAY, DAY, ended=DAY)
        login("ended-long-ago", 40 * DAY, 35 * DAY, ended=35 * DAY)
        login("idle-long-ago", 40 * DAY, 40 * DAY)
        for key, age in [("login-ip:recent", timedelta(minutes=5)), ("login-ip:old", 2 * DAY)]:
            db.session.add(ThrottleEvent(key=key, at=now - age))

        patient = patient_services.save(None, {
            "given_name": "Amélie", "family_name": "Dubois",
            "date_of_birth": __import__("datetime").date(1970, 5, 4)})
        db.session.flush()

        def intake(name, age, link_closed, status="draft", **extra):
            it = Intake(patient=patient, draft={"about": {"given_name": ["Amélie"]}},
                        status=status, created_at=now - age, updated_at=now - age,
                        current_step=name[:20], **extra)
            db.session.add(it)
            if link_closed is not None:
                db.session.add(IntakeInvitation(
                    patient_id=patient.id, intake=it, token_hash=name.ljust(64, "y"),
                    created_at=now - age, expires_at=now - link_closed))
            return it
        intake("old-expired", 200 * DAY, 186 * DAY)
        intake("old-no-link", 200 * DAY, None)
        intake("old-live-link", 200 * DAY, -DAY)           # a new link reached it: keep
        intake("recent-expired", 30 * DAY, 16 * DAY)
        intake("old-submitted", 200 * DAY, 186 * DAY, status="submitted",
               submitted_at=now - 190 * DAY)
        intake("old-reopened", 200 * DAY, 186 * DAY, reopened_at=now - 190 * DAY)
        db.session.commit()
    return user_id


def steps(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Intake.current_step)))


def test_maintenance_prunes_only_what_is_over(app, runner, rows):
    result = runner.invoke(args=["maintenance"])
    assert result.exit_code == 0, result.output
    assert "Deleted 2 login sessions, 1 throttle rows, 2 expired intake drafts." in result.output
    with app.app_context():
        assert set(db.session.scalars(select(func.substr(LoginSession.token_hash, 1, 15)))) == {
            "livexxxxxxxxxxx", "ended-yesterday"}
        assert list(db.session.scalars(select(ThrottleEvent.key))) == ["login-ip:recent"]
        assert count(IntakeInvitation, IntakeInvitation.token_hash.like("old-expired%")) == 0
        deleted = list(db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "delete", AuditEntry.entity == "Intake")))
        assert len(deleted) == 2 and all(e.user_email == "system" for e in deleted)
        assert all("draft" not in (e.changes or {}) for e in deleted)  # no answers copied
    assert steps(app) == {"old-live-link", "recent-expired", "old-submitted", "old-reopened"}
    again = runner.invoke(args=["maintenance"])
    assert "Deleted 0 login sessions, 0 throttle rows, 0 expired intake drafts." in again.output


def test_dry_run_counts_and_deletes_nothing(app, runner, rows):
    result = runner.invoke(args=["maintenance", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would delete 2 login sessions, 1 throttle rows, 2 expired intake drafts." in (
        result.output)
    with app.app_context():
        assert count(LoginSession) == 4 and count(ThrottleEvent) == 2
    assert len(steps(app)) == 6


def test_the_clinic_sets_the_retention(make_app, rows):
    app = make_app(LOGIN_RETENTION_DAYS=0, DRAFT_RETENTION_DAYS=10)
    result = app.test_cli_runner().invoke(args=["maintenance"])
    # Every login that is over goes at 0 days; drafts whose links closed 16 days ago go at 10.
    assert "Deleted 3 login sessions, 1 throttle rows, 3 expired intake drafts." in result.output
    assert steps(app) == {"old-live-link", "old-submitted", "old-reopened"}
    with app.app_context():
        assert count(LoginSession) == 1  # the live one


def test_options_override_the_setting_and_bad_settings_are_refused(make_app, rows):
    app = make_app(DRAFT_RETENTION_DAYS=10)
    result = app.test_cli_runner().invoke(args=["maintenance", "--draft-days", "365",
                                                "--login-days", "365"])
    assert "Deleted 0 login sessions, 1 throttle rows, 0 expired intake drafts." in result.output
    bad = make_app(DRAFT_RETENTION_DAYS="ninety").test_cli_runner().invoke(args=["maintenance"])
    assert bad.exit_code != 0 and "DRAFT_RETENTION_DAYS must be a whole number" in bad.output


def test_first_run_hint_names_the_port(runner, monkeypatch):
    monkeypatch.setenv("PORT", "5123")
    assert "http://127.0.0.1:5123/" in runner.invoke(args=["first-run-hint"]).output
    monkeypatch.delenv("PORT")
    assert "http://127.0.0.1:5000/" in runner.invoke(args=["first-run-hint"]).output
