"""Housekeeping for `flask maintenance` (run daily from cron): delete what only takes room.

- Login sessions that are over (logged out, idle past the clinic's timeout or past their
  absolute lifetime) and unused for LOGIN_RETENTION_DAYS (default 30). The audit trail keeps
  every login; a login also deletes rows created more than 30 days before it.
- Throttle rows (failed logins, wrong intake links, wrong codes) older than any throttle window
  looks back (a day); each new failure also prunes them.
- Intake drafts that were never submitted, not typed in for DRAFT_RETENTION_DAYS (default 90)
  and whose every link has been expired or revoked for that long: the intake and its links
  are deleted through the ORM, so the audit trail records each deletion (without the draft's
  answers, which it never copies). Submitted or reopened intakes are never touched: they are
  the patient's record.
- Forms held after a login expired (accounts/held.py) whose sender did not sign in again
  within held.HOLD (30 minutes): they hold health data, so nothing keeps them longer.

Set the retention in `instance/config.py` or as TRACKER_LOGIN_RETENTION_DAYS and
TRACKER_DRAFT_RETENTION_DAYS; `flask maintenance --dry-run` counts without deleting."""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, delete, exists, func, or_, select

from . import throttle
from .accounts import held
from .accounts.models import HeldSubmission, LoginSession, ThrottleEvent
from .extensions import db
from .intake.models import Intake, IntakeInvitation
from .timeutil import utcnow

LOGIN_RETENTION_DAYS = 30
DRAFT_RETENTION_DAYS = 90


@dataclass
class Pruned:
    login_sessions: int = 0
    throttle_rows: int = 0
    drafts: int = 0
    held_forms: int = 0

    def __str__(self) -> str:
        held_forms = f", {self.held_forms} expired held forms" if self.held_forms else ""
        return (f"{self.login_sessions} login sessions, {self.throttle_rows} throttle rows, "
                f"{self.drafts} expired intake drafts{held_forms}")


def retention(name: str, default: int) -> int:
    value = current_app.config.get(name, default)
    if isinstance(value, bool) or not str(value).isdigit():
        raise ValueError(f"{name} must be a whole number of days, not {value!r}")
    return int(value)


def _over_logins(days: int):
    """Login sessions that are over and unused for `days` days."""
    from .accounts.sessions import idle_limit
    now = utcnow()
    cutoff = now - timedelta(days=days)
    absolute = timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"])
    over = or_(LoginSession.ended_at.is_not(None),
               LoginSession.last_seen_at < now - idle_limit(),
               LoginSession.created_at < now - absolute)
    return and_(over, LoginSession.last_seen_at < cutoff,
                or_(LoginSession.ended_at.is_(None), LoginSession.ended_at < cutoff))


def _expired_drafts(days: int):
    """Ids of never-submitted drafts untouched for `days` days, whose links all closed as long
    ago."""
    cutoff = utcnow() - timedelta(days=days)
    recent_link = exists().where(
        IntakeInvitation.intake_id == Intake.id,
        func.coalesce(IntakeInvitation.revoked_at, IntakeInvitation.expires_at) >= cutoff)
    return select(Intake.id).where(
        Intake.status == "draft", Intake.submitted_at.is_(None), Intake.reopened_at.is_(None),
        Intake.updated_at < cutoff, Intake.created_at < cutoff, ~recent_link)


def run(*, login_days: int | None = None, draft_days: int | None = None,
        dry_run: bool = False) -> Pruned:
    """Prune, commit (unless `dry_run`) and return what was (or would be) deleted."""
    login_days = retention("LOGIN_RETENTION_DAYS", LOGIN_RETENTION_DAYS) \
        if login_days is None else login_days
    draft_days = retention("DRAFT_RETENTION_DAYS", DRAFT_RETENTION_DAYS) \
        if draft_days is None else draft_days
    result = Pruned()
    logins = _over_logins(login_days)
    old_throttle = ThrottleEvent.at < utcnow() - timedelta(minutes=throttle.KEEP_MINUTES)
    draft_ids = list(db.session.scalars(_expired_drafts(draft_days)))
    result.drafts = len(draft_ids)
    if dry_run:
        count = lambda model, where: db.session.scalar(  # noqa: E731
            select(func.count()).select_from(model).where(where))
        result.login_sessions = count(LoginSession, logins)
        result.throttle_rows = count(ThrottleEvent, old_throttle)
        result.held_forms = count(HeldSubmission, HeldSubmission.created_at
                                  < utcnow() - held.HOLD)
        db.session.rollback()
        return result
    result.login_sessions = db.session.execute(delete(LoginSession).where(logins)).rowcount
    result.throttle_rows = throttle.prune()
    result.held_forms = held.prune()
    for start in range(0, len(draft_ids), 200):
        batch = draft_ids[start:start + 200]
        for link in db.session.scalars(select(IntakeInvitation).where(
                IntakeInvitation.intake_id.in_(batch))):
            db.session.delete(link)
        db.session.flush()
        for intake in db.session.scalars(select(Intake).where(Intake.id.in_(batch))):
            db.session.delete(intake)
        db.session.flush()
    db.session.commit()
    return result
