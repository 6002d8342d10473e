"""Weekly check-ins: a plan asks for them, each week gets a private link, the patient's answers
become measurement rows (source "checkin") that count in the plan's course like any scored
reading (clinical/outcomes.py). No request needed."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock, links, submissions
from ..clinical import instruments as registry
from ..clinical.outcomes import CHECKIN
from ..extensions import db
from ..measurements import services as measurements
from ..measurements.models import Measurement
from ..plans.models import TreatmentPlan
from ..security import token_hash
from .models import Checkin, CheckinPlan

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
LINK_DAYS = 7          # a week's link works until the next week's is due
SEND_HOUR = time(9, 0)  # clinic time: a message at breakfast, not at midnight
CATCH_UP_DAYS = 6       # a sender that missed the day still sends that week's check-in


class NotOpen(ValueError):
    """The link is answered, expired or switched off: nothing is written through it."""


def offered() -> list[registry.Instrument]:
    """The measures a check-in may ask: the registry's instruments asked at CHECKIN."""
    return registry.asked_at(registry.CHECKIN)


def default_measures() -> list[str]:
    return [i.key for i in offered()]


def schedule_of(plan_id: int) -> CheckinPlan | None:
    return db.session.scalars(select(CheckinPlan).where(CheckinPlan.plan_id == plan_id)).first()


def set_schedule(plan: TreatmentPlan, weekday: int, measures: list[str], active: bool,
                 user) -> CheckinPlan:
    """Ask for (or stop) a weekly check-in on `weekday` with these registry measures."""
    allowed = {i.key for i in offered()}
    wanted = [key for key in measures if key in allowed]
    if not wanted:
        raise ValueError("Choose at least one measure.")
    if not 0 <= weekday <= 6:
        raise ValueError("Choose a day of the week.")
    found = schedule_of(plan.id)
    if found is None:
        found = CheckinPlan(plan_id=plan.id, patient_id=plan.patient_id,
                            created_by_id=user.id if user else None)
        db.session.add(found)
    found.weekday, found.measures, found.active = weekday, wanted, active
    return found


def asked(checkin: Checkin) -> list[registry.Instrument]:
    """What this week's check-in asks: its plan's measures still offered by the registry."""
    found = schedule_of(checkin.plan_id)
    keys = set(found.measures if found else default_measures())
    return [i for i in offered() if i.key in keys]


def week_due(weekday: int, day: date) -> date:
    """The check-in day of the week that `day` falls in (on or before it)."""
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def new_link(plan: TreatmentPlan, due: date, user=None) -> tuple[Checkin, str]:
    """This week's check-in with a fresh token; a new link for the same week replaces the old
    one (the old link stops working)."""
    token, hashed = links.new_token()
    found = db.session.scalars(select(Checkin).where(Checkin.plan_id == plan.id,
                                                     Checkin.due_on == due)).first()
    expires = clock.to_utc(due + timedelta(days=LINK_DAYS), SEND_HOUR)
    if found is None:
        found = Checkin(plan_id=plan.id, patient_id=plan.patient_id, due_on=due)
        db.session.add(found)
    old_hash = found.token_hash
    found.token_hash, found.expires_at, found.revoked_at = hashed, max(
        expires, clock.now() + timedelta(days=1)), None
    found.created_by_id = user.id if user else None
    if old_hash:
        _relink_waiting(found, old_hash, token)
    return found, token


def message_key(hashed: str) -> str:
    """A check-in message's dedupe key: the link's hash (a prefix), never the token."""
    return f"checkin:{hashed[:40]}"


def for_message(key: str | None) -> Checkin | None:
    """The check-in whose current link a message carries; None once a new link replaced it."""
    if not key or not key.startswith("checkin:"):
        return None
    return db.session.scalars(select(Checkin).where(
        Checkin.token_hash.startswith(key.removeprefix("checkin:")))).first()


def _relink_waiting(checkin: Checkin, old_hash: str, token: str) -> None:
    """A message still waiting with the old link would arrive dead: withdraw it and queue the
    new link in its place (the same way, so an address awaiting a clinician holds it too)."""
    from ..messages import outbox
    if outbox.withdraw_waiting(message_key(old_hash), "a new link replaced this one"):
        db.session.flush()
        _notify(checkin, token)


def issue_link(plan: TreatmentPlan, user) -> tuple[Checkin, str]:
    """A link for this week's check-in now (staff: to show or send by hand)."""
    schedule = schedule_of(plan.id)
    today = clock.today()
    due = week_due(schedule.weekday, today) if schedule else today
    return new_link(plan, due, user)


@dataclass(frozen=True)
class Due:
    checkin: Checkin
    token: str


def checkins_due(session: Session, at: datetime) -> list[Due]:
    """Open this week's check-in of every active plan that asks for one and has none yet, once
    its day has come (from SEND_HOUR clinic time), and queue its message to the patient where
    they have an address. The caller commits; run it from the sender's loop or cron (a second
    run the same week finds the check-in made and does nothing)."""
    day = clock.local_date(at)
    made = []
    plans = session.execute(
        select(CheckinPlan, TreatmentPlan).join(TreatmentPlan,
                                                TreatmentPlan.id == CheckinPlan.plan_id)
        .where(CheckinPlan.active.is_(True), TreatmentPlan.status == "active",
               TreatmentPlan.start_on <= day)).all()
    for schedule, plan in plans:
        due = week_due(schedule.weekday, day)
        if (due < plan.start_on or (day - due).days > CATCH_UP_DAYS
                or due < clock.local_date(schedule.created_at)):  # no week before it was asked
            continue
        if due == day and clock.local(at).time() < SEND_HOUR:
            continue
        if session.scalar(select(Checkin.id).where(Checkin.plan_id == plan.id,
                                                   Checkin.due_on == due)) is not None:
            continue
        checkin, token = new_link(plan, due)
        session.flush()
        _notify(checkin, token)
        made.append(Due(checkin, token))
    return made


def _notify(checkin: Checkin, token: str) -> None:
    """The check-in message through the outbox, on the patient's channel (messages/notify.py):
    the link and nothing clinical."""
    from flask import render_template

    from ..messages.notify import contact, when_text
    from ..messages.outbox import Content, enqueue
    from ..settings.services import get_settings
    found = contact(checkin.patient)
    if found is None:
        return  # no address: staff can show the link from the plan's check-in page
    clinic = get_settings()
    text = render_template(f"messages/checkin.{'sms' if found.channel == 'sms' else 'txt'}",
                           clinic=clinic, patient=checkin.patient,
                           url=links.external_url("checkin_public.start", token=token),
                           expires=when_text(checkin.expires_at)).strip() + "\n"
    enqueue(kind="checkin", channel=found.channel, recipient=found.recipient,
            content=Content(f"Your weekly check-in from {clinic.name}", text),
            patient_id=checkin.patient_id, dedupe_key=message_key(checkin.token_hash),
            keep_body_until=checkin.expires_at)


def find(token: str) -> Checkin | None:
    if not token or len(token) > 100:
        return None
    return db.session.scalars(select(Checkin).where(
        Checkin.token_hash == token_hash(token))).first()


def answer(checkin: Checkin, answers: dict) -> list[Measurement]:
    """The patient's answers as measurement rows of this check-in (source "checkin"), once:
    a second send, or one through a closed link, writes nothing."""
    submissions.lock_row(Checkin, checkin.id)  # a double tap answers once
    db.session.refresh(checkin)
    if checkin.state() != "open":
        raise NotOpen(checkin.state())
    scored = registry.score_answers(answers, registry.CHECKIN, only={i.key for i in asked(checkin)})
    if not scored:
        raise ValueError("no answers")
    now = clock.now()
    checkin.answered_at = now
    return measurements.write_scores(checkin.patient_id, scored, source=CHECKIN, taken_at=now,
                                     checkin_id=checkin.id)


def answers_of(checkin: Checkin) -> list[tuple[registry.Instrument, Measurement]]:
    rows = db.session.scalars(select(Measurement).where(Measurement.checkin_id == checkin.id)
                              .order_by(Measurement.id))
    return [(found, m) for m in rows if (found := registry.lookup(m.instrument, m.time_frame))]


def sent(checkin: Checkin) -> list[tuple[str, str]]:
    """Each question the patient answered, once, with their answer as they chose it."""
    rows = [m for _, m in answers_of(checkin)]
    given = measurements.answers_for(rows)
    found = [i for i in registry.REGISTRY.values()
             if any((m.instrument, m.time_frame) == (i.code, i.time_frame) for m in rows)]
    return [(item.text, dict(item.choices).get(given[item.field], str(given[item.field])))
            for item in registry.items_for(found) if item.field in given]


def history(plan_id: int, limit: int = 12) -> list[tuple[Checkin, list]]:
    """The plan's latest check-ins with their answers, newest first."""
    items = db.session.scalars(select(Checkin).where(Checkin.plan_id == plan_id)
                               .order_by(Checkin.due_on.desc()).limit(limit))
    return [(c, answers_of(c)) for c in items]


def next_due(patient_id: int) -> tuple[date, CheckinPlan] | None:
    """The patient's next check-in day (today if not answered yet) on an active plan."""
    today = clock.today()
    best = None
    for schedule in db.session.scalars(
            select(CheckinPlan).join(TreatmentPlan, TreatmentPlan.id == CheckinPlan.plan_id)
            .where(CheckinPlan.patient_id == patient_id, CheckinPlan.active.is_(True),
                   TreatmentPlan.status == "active")):
        due = week_due(schedule.weekday, today)
        answered = db.session.scalar(select(Checkin.answered_at).where(
            Checkin.plan_id == schedule.plan_id, Checkin.due_on == due))
        if due < today or answered:
            due += timedelta(days=7)
        if best is None or due < best[0]:
            best = (due, schedule)
    return best
