"""A follow-up record starts from the last signed visit of its course with the plan's changes
since merged in (sessions.followup.merge), says so beside the points, shows the last visit's note
and pain, and signs with one tick for "no adverse events, all needles counted out"."""
import re
from datetime import date, datetime, timedelta

from sqlalchemy import select

from tests import factories
from tests.test_sessions import payload
from tests.test_sessions import world as world  # noqa: F401  (the fixture)
from tracker.extensions import db
from tracker.plans import services as plan_services
from tracker.plans.models import PlanPoint, TreatmentPlan
from tracker.sessions import services
from tracker.sessions.followup import FIRST_VISIT_RETENTION, Point, Visit, merge
from tracker.sessions.models import SessionPoint, SessionRecord
from tracker.timeutil import utcnow

NOV12 = date(2026, 11, 12)


def pts(*labels: str) -> list[Point]:
    """"GB30 left" -> Point("GB30", side="left"); a bare code is bilateral."""
    out = []
    for label in labels:
        code, _, side = label.partition(" ")
        out.append(Point(code, side=side or "bilateral"))
    return out


def labels(points) -> list[str]:
    return [p.label for p in points]


def visit(*labels: str, **defaults) -> Visit:
    return Visit(NOV12, pts(*labels), {"retention_minutes": 25} | defaults)


# --- the merge, on plain values -----------------------------------------------------------------

def test_no_previous_visit_starts_from_the_plan():
    start = merge(None, None, pts("BL23", "BL40"), "tcm")
    assert labels(start.points) == ["BL23 bilateral", "BL40 bilateral"]
    assert start.defaults == {"retention_minutes": FIRST_VISIT_RETENTION, "style": "tcm"}
    assert not start.from_last_visit and start.adjuncts == []


def test_a_point_added_at_the_last_visit_is_kept_with_its_side():
    plan = pts("BL23", "BL40")
    start = merge(visit("BL23", "BL40", "GB30 left"), plan, plan)
    assert labels(start.points) == ["BL23 bilateral", "BL40 bilateral", "GB30 left"]
    assert labels(start.carried) == labels(start.points)
    assert start.added == start.removed == start.resided == []
    assert start.last_on == NOV12 and start.defaults == {"retention_minutes": 25}


def test_a_point_the_plan_added_since_is_appended_and_named():
    start = merge(visit("BL23", "GB30 left"), pts("BL23"), pts("BL23", "ST36 right"))
    assert labels(start.points) == ["BL23 bilateral", "GB30 left", "ST36 right"]
    assert labels(start.added) == ["ST36 right"]


def test_a_point_the_plan_removed_since_is_dropped_and_named():
    start = merge(visit("BL23", "BL40", "GB30 left"), pts("BL23", "BL40"), pts("BL23"))
    assert labels(start.points) == ["BL23 bilateral", "GB30 left"]
    assert labels(start.removed) == ["BL40 bilateral"]


def test_a_side_changed_at_the_last_visit_stays_one_changed_by_the_plan_since_is_taken():
    plan = pts("BL23", "GB30")
    # The practitioner needled GB30 on the left only; the plan did not change: left it stays.
    assert labels(merge(visit("BL23", "GB30 left"), plan, plan).points) == [
        "BL23 bilateral", "GB30 left"]
    # The plan moved GB30 to the right since: the plan's newer decision is taken, and named.
    start = merge(visit("BL23", "GB30 left"), plan, pts("BL23", "GB30 right"))
    assert labels(start.points) == ["BL23 bilateral", "GB30 right"]
    assert labels(start.resided) == ["GB30 right"] and start.carried == pts("BL23")


def test_plan_unknown_then_counts_nothing_as_changed():
    # A plan without a version at the last visit: its points are not forced back in.
    start = merge(visit("BL23"), None, pts("BL23", "BL40"))
    assert labels(start.points) == ["BL23 bilateral"] and start.added == []


def test_a_point_already_added_by_hand_is_not_added_twice():
    start = merge(visit("BL23", "ST36"), pts("BL23"), pts("BL23", "ST36"))
    assert labels(start.points) == ["BL23 bilateral", "ST36 bilateral"] and start.added == []


def test_per_point_settings_and_places_are_carried():
    last = Visit(NOV12, [Point("LI4", side="left", depth="0.5 cun", stimulation="electrical",
                               retention_minutes=30),
                         Point(None, "Ashi: left trapezius", "left")], {})
    start = merge(last, [Point(None, "ashi:  LEFT trapezius", "left")], [])
    assert start.points == [last.points[0]]
    assert labels(start.removed) == ["Ashi: left trapezius left"]


def test_midline_points_never_start_bilateral_nor_count_as_moved_by_the_plan():
    # Rows stored before the midline rule said "bilateral" for GV4 and CV4.
    old_plan = pts("BL23", "GV4", "CV4")
    start = merge(visit("BL23", "GV4", "CV4 left"), old_plan, pts("BL23", "GV4 midline", "CV4"))
    assert labels(start.points) == ["BL23 bilateral", "GV4 midline", "CV4 midline"]
    assert start.resided == [] and labels(start.carried) == labels(start.points)
    first = merge(None, None, pts("GV20", "EX-HN3", "LI4"))
    assert labels(first.points) == ["GV20 midline", "EX-HN3 midline", "LI4 bilateral"]


# --- through the app ----------------------------------------------------------------------------

def _signed_visit(app, world, days_ago: int, points, plan_id=None, **fields) -> int:
    """A signed record of the world's course (or `plan_id`), `days_ago` days back."""
    with app.app_context():
        record = factories.signed_session(world["patient"], world["user"], points=(),
                                          visit_on=date.today() - timedelta(days=days_ago),
                                          **fields)
        record.plan_id = plan_id or world["plan"]
        record.points = [SessionPoint(position=i, code=c, side=s)
                         for i, (c, s) in enumerate(points)]
        db.session.commit()
        return record.id


def _open(client, world) -> tuple[int, str]:
    response = client.post(f"/appointments/{world['appointment']}/session")
    session_id = int(re.search(r"/sessions/(\d+)/edit", response.headers["Location"]).group(1))
    return session_id, client.get(f"/sessions/{session_id}/edit").text


def _points(app, session_id):
    with app.app_context():
        return [(p.code, p.side) for p in db.session.get(SessionRecord, session_id).points]


def _version(app, plan_id, when: datetime):
    """The plan as it stands, kept as its version from `when`."""
    with app.app_context():
        plan = db.session.get(TreatmentPlan, plan_id)
        plan_services.add_version(plan, None, "Activated").valid_from = when
        db.session.commit()


def test_the_next_visit_starts_from_the_last_one_with_the_plan_changes_shown(
        app, client, world):
    # The world's plan: BL23 bilateral, GB30 left. Visit 1 added LI4 left; the plan since
    # dropped GB30 and added ST36.
    _signed_visit(app, world, 7, [("BL23", "bilateral"), ("GB30", "left"), ("LI4", "left")],
                  subjective="Slept through twice", assessment="Improving", depth="1 cun")
    _version(app, world["plan"], utcnow() - timedelta(days=30))
    with app.app_context():
        plan = db.session.get(TreatmentPlan, world["plan"])
        plan.points = [PlanPoint(position=0, code="BL23", side="bilateral"),
                       PlanPoint(position=1, code="ST36", side="bilateral")]
        db.session.commit()
    session_id, page = _open(client, world)
    assert _points(app, session_id) == [("BL23", "bilateral"), ("LI4", "left"),
                                        ("ST36", "bilateral")]
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    last_on = (date.today() - timedelta(days=7))
    assert re.search(r"From last visit [^:]+: BL23 bilateral, LI4 left; added by the plan: "
                     r"ST36 bilateral; removed by the plan: GB30 left", text), text
    assert 'value="1 cun"' in page  # the needling defaults carried
    # The last visit's note and pain beside the form.
    assert "Slept through twice" in text and "Improving" in text and "6 → 3" in text
    assert str(last_on.day) in text


def test_a_new_course_starts_from_its_plan_not_the_previous_course(app, client, world):
    with app.app_context():
        old = factories.plan_row(world["patient"], world["user"], status="completed",
                                 points=[("LI4", "bilateral")])
        old_id = old.id
        db.session.commit()
    _signed_visit(app, world, 40, [("LI4", "bilateral"), ("GB34", "left")], plan_id=old_id)
    session_id, page = _open(client, world)
    assert _points(app, session_id) == [("BL23", "bilateral"), ("GB30", "left")]
    assert "From the plan" in page and "From last visit" not in page
    assert 'value="20"' in page  # a first visit's typical retention, not the old course's


def test_a_draft_is_not_a_last_visit(app, client, world):
    with app.app_context():
        draft = factories.signed_session(world["patient"], world["user"], points=("LI11",),
                                         visit_on=date.today() - timedelta(days=3))
        draft.plan_id, draft.status = world["plan"], "draft"
        db.session.commit()
    session_id, _ = _open(client, world)
    assert _points(app, session_id) == [("BL23", "bilateral"), ("GB30", "left")]


def test_last_signed_is_the_newest_of_the_course_before_this_visit(app, world):
    newer = _signed_visit(app, world, 2, [("BL23", "bilateral")])
    _signed_visit(app, world, 9, [("LI4", "left")])
    with app.app_context():
        record = SessionRecord(patient_id=world["patient"], plan_id=world["plan"],
                               visit_on=date.today())
        assert services.last_signed(record).id == newer
        record.visit_on = date.today() - timedelta(days=5)  # a late record of an older visit
        assert services.last_signed(record).points[0].code == "LI4"


# --- one tick for the routine safety answers ------------------------------------------------------

def test_one_tick_answers_no_adverse_events_and_needles_counted(app, client, world):
    session_id, page = _open(client, world)
    data = payload(page, adverse=None, needles_reconciled=None, all_clear="y", action="sign")
    response = client.post(f"/sessions/{session_id}/edit", data=data)
    assert response.status_code == 302, response.text
    with app.app_context():
        record = db.session.get(SessionRecord, session_id)
        assert record.signed and record.no_adverse_events and record.needles_reconciled


def test_the_tick_cannot_contradict_an_adverse_event(app, client, world):
    session_id, page = _open(client, world)
    data = payload(page, adverse="some", needles_reconciled=None, all_clear="y",
                   action="sign", subjective="Kept when refused",
                   **{"adverse_events-0-kind": "bruising"})
    response = client.post(f"/sessions/{session_id}/edit", data=data)
    assert response.status_code == 400
    assert "You recorded an adverse event" in response.text
    assert "Kept when refused" in response.text
    with app.app_context():
        assert not db.session.get(SessionRecord, session_id).signed


def test_without_the_tick_each_answer_is_still_required(app, client, world):
    session_id, page = _open(client, world)
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, adverse=None, needles_reconciled=None, action="sign"))
    assert response.status_code == 400
    assert "Count the needles out before signing." in response.text
    with app.app_context():
        assert db.session.scalars(select(SessionRecord)).one().status == "draft"


# --- recorded from today's list -------------------------------------------------------------------

def test_the_day_list_records_a_visit_in_one_step_for_clinicians_only(app, client, auth, world):
    action = f'action="/appointments/{world["appointment"]}/session"'
    assert action in client.get("/").text
    session_id, _ = _open(client, world)
    today = client.get("/").text
    assert action not in today and f'href="/sessions/{session_id}/edit"' in today
    auth.logout()
    auth.login("reception")
    desk = client.get("/").text
    assert "Eriksen" in desk  # the visit is on reception's list, without its record
    assert action not in desk and "/sessions/" not in desk


def test_the_follow_up_from_a_visit_stored_bilateral_starts_midline(app, client, world):
    # Visit 1 was saved before the midline rule: GV4 bilateral, counted as 2 needles.
    _signed_visit(app, world, 7, [("BL23", "bilateral"), ("GV4", "bilateral")])
    session_id, page = _open(client, world)
    assert _points(app, session_id) == [("BL23", "bilateral"), ("GV4", "midline")]
    start = page.split("data-followup-start>")[1].split("</p>")[0]
    start = " ".join(re.sub(r"<[^>]+>", " ", start).split())
    assert re.match(r"From last visit [^:]+: BL23 bilateral, GV4 midline\.$", start), start
    assert re.search(r'name="points-1-side".*?<option selected value="midline"', page, re.S)
    assert re.search(r"Insertions \(computed\): <strong data-insertions>3<", page)
    response = client.post(f"/sessions/{session_id}/edit", data=payload(page, action="sign"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(SessionRecord, session_id).insertions == 3
