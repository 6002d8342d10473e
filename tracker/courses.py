"""A treatment plan's course in the diary: booking it when the plan is activated or resumed,
taking its future visits off when the plan stops, and what the plan pages and the dashboard show
of it. This is where plans and appointments meet, so the plans package never imports the
schedule (the schedule reads plans). Callers commit; nothing here needs a request."""
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, func, or_, select

from . import clock, submissions
from .extensions import db
from .patients.models import Patient
from .plans import services as plans
from .plans.models import TreatmentPlan
from .schedule import services as schedule
from .schedule.models import Appointment
from .templating import date_text

BOOKABLE = ("draft", "active", "on_hold")


class NotBookable(Exception):
    """Only a draft, active or on-hold plan has a course to book."""


class Changed(Exception):
    """The plan or its course changed after the proposal was shown (someone else booked it):
    nothing was booked."""


def _plan(plan_id: int) -> TreatmentPlan:
    plan = db.session.get(TreatmentPlan, plan_id)
    if plan is None:
        raise LookupError(f"no treatment plan {plan_id}")
    return plan


@dataclass
class Proposal:
    """The appointments the plan's rule gives from now on and those they would replace."""

    plan: TreatmentPlan
    slots: list[schedule.Slot]
    replace: list[Appointment]
    when: datetime | None = None
    seen: tuple = ()  # what the proposal was worked out from (see `_seen`)

    def closed(self) -> dict[date, str]:
        """Closure days the rule stepped over, between the first and last proposed session."""
        if not self.slots:
            return {}
        tz = clock.zone()
        return schedule.closures(*(s.start.astimezone(tz).date()
                                   for s in (self.slots[0], self.slots[-1])))


def propose(plan_id: int, when: datetime | None = None) -> Proposal:
    """What booking the course would do, to show before it is confirmed."""
    plan = _plan(plan_id)
    if plan.status not in BOOKABLE:
        raise NotBookable(plan.status)
    slots, replace = schedule.preview(plan, when)
    return Proposal(plan, slots, replace, when, _seen(plan, slots, replace))


def _seen(plan: TreatmentPlan, slots, replace) -> tuple:
    return (plan.status, plan.version, tuple((s.start, s.ok) for s in slots),
            tuple(sorted(a.id for a in replace)))


def book_course(plan_id: int, user_id: int | None, choices: dict[int, str],
                proposal: Proposal | None = None) -> list[Appointment]:
    """Book the plan's course from now on, replacing its future unattended visits, and make the
    plan active. `choices` answers each slot with a problem by its index: 'next' (the offered
    free slot), 'keep' (book anyway) or 'skip'; an unanswered one raises ValueError. Pass the
    proposal the user confirmed; it is worked out again under the plan's row lock, so two
    requests booking the same plan take turns, and raises Changed when the plan or its course
    is no longer what the user confirmed (the other request booked it): nothing is booked
    twice."""
    confirmed = proposal
    submissions.lock_row(TreatmentPlan, plan_id)
    proposal = propose(plan_id, confirmed.when if confirmed else None)
    if confirmed is not None and confirmed.seen != proposal.seen:
        raise Changed(plan_id)
    plan = proposal.plan
    from .messages import notify  # messages build on the schedule's calendar
    replaced = notify.withdrawn_entries(proposal.replace)  # read before they are deleted
    created = schedule.apply_schedule(plan, proposal.slots, proposal.replace, choices)
    if plan.status != "active":
        plans.activate(plan, user_id)
    # One confirmation: every new visit in its calendar file, the replaced ones cancelled in it.
    notify.course_booked(plan, created, replaced)
    return created


@dataclass(frozen=True)
class StatusChange:
    """What a status change did: refused with a reason, waiting for the course to be booked
    again (resuming), or done, with the future visits it took off the diary."""

    problem: str = ""
    needs_booking: bool = False
    removed: int = 0


def change_status(plan_id: int, status: str, reason: str, user_id: int | None) -> StatusChange:
    """Put a plan on hold, complete or discontinue it (its future unattended visits leave the
    diary), or ask for the course to be booked again when it is resumed."""
    plan = _plan(plan_id)
    problem = plans.transition_problem(plan, status, reason)
    if problem:
        return StatusChange(problem=problem)
    if status == "active":  # resuming: the remaining sessions are booked after review
        return StatusChange(needs_booking=True)
    plans.set_status(plan, status, reason, user_id)
    return StatusChange(removed=schedule.remove_future(plan))


# --- What the pages show ----------------------------------------------------------------------

@dataclass
class Course:
    appointments: list[Appointment]
    progress: schedule.Progress
    off_time: int = 0  # booked or attended visits not at the plan's time (moved for a clash)


def course(plan: TreatmentPlan) -> Course:
    """One plan's appointments in time order and its progress against the plan."""
    appointments = schedule.plan_appointments(plan.id)
    tz = clock.zone()
    off = sum(1 for a in appointments if a.status in ("scheduled", "attended")
              and clock.local(a.starts_at, tz).time() != plan.start_time)
    return Course(appointments, schedule.progress(plan, appointments), off)


def progress_of(items: list[TreatmentPlan]) -> list[tuple[TreatmentPlan, schedule.Progress]]:
    """Each plan with its progress, from one appointments query for them all."""
    appointments = schedule.appointments_by_plan([p.id for p in items])
    return [(p, schedule.progress(p, appointments[p.id])) for p in items]


class EndingPlan(NamedTuple):
    """A plan ending soon as the dashboard lists it: its id, its patient's name, and why it is
    ending soon: the sessions still booked (a plan of so many sessions) or its end date."""
    id: int
    given_name: str
    family_name: str
    sessions_planned: int | None
    end_on: date | None
    upcoming: int  # its scheduled visits from now on
    full_name = property(Patient.full_name.fget)  # the patient's own rule

    @property
    def when_text(self) -> str:
        """"2 sessions left", "last session held", "ends 14 Mar 2026": what makes it end soon."""
        if self.sessions_planned is not None and (self.end_on is None or self.upcoming <= 2):
            if self.upcoming == 0:
                return "no sessions left booked"
            return f"{self.upcoming} session{'s' if self.upcoming != 1 else ''} left"
        return f"ends {date_text(self.end_on)}" if self.end_on else ""


# Built once (bound values for the day, the time and the practitioner): the dashboard runs them on
# every visit.
_ACTIVE = TreatmentPlan.status == "active"
_COUNTS = select(func.count(), func.count(case(
    (TreatmentPlan.practitioner_id == bindparam("practitioner_id"), 1)))).where(_ACTIVE)
_UPCOMING = (select(func.count()).where(Appointment.plan_id == TreatmentPlan.id,
                                        Appointment.status == "scheduled",
                                        Appointment.starts_at >= bindparam("now"))
             .correlate(TreatmentPlan).scalar_subquery())
_ENDING = (select(TreatmentPlan.id, Patient.given_name, Patient.family_name,
                  TreatmentPlan.sessions_planned, TreatmentPlan.end_on, _UPCOMING)
           .join(Patient, Patient.id == TreatmentPlan.patient_id)
           .where(_ACTIVE, or_((TreatmentPlan.sessions_planned.is_not(None)) & (_UPCOMING <= 2),
                               TreatmentPlan.end_on <= bindparam("soon")))
           .order_by(TreatmentPlan.id.desc()).limit(8))
_ENDING_MINE = _ENDING.where(TreatmentPlan.practitioner_id == bindparam("practitioner_id"))


def plans_dashboard(today: date, now: datetime, practitioner_id: int | None) -> dict[str, Any]:
    """Active plan counts (the clinic's, and the practitioner's own) and plans ending soon (two
    or fewer visits left, or an end date within a fortnight), in two queries."""
    count, mine = db.session.execute(_COUNTS, {"practitioner_id": practitioner_id}).one()
    ending = db.session.execute(_ENDING_MINE if practitioner_id else _ENDING, {
        "now": now, "soon": today + timedelta(days=14), "practitioner_id": practitioner_id})
    return {"active": count, "mine": mine if practitioner_id else None,
            "ending": [EndingPlan(*row) for row in ending]}
