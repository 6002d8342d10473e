"""Scheduling: recurrence edge cases, closures, clashes with the next free slot, regeneration,
appointment actions, week views (constant query count), card, .ics, role limits."""
import html
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from tests import factories
from tests.conftest import make_user, statements_for
from tracker import clock as clinic_clock
from tracker.extensions import db
from tracker.permissions import ROLE_PERMISSIONS
from tracker.plans import services as plan_services
from tracker.schedule import recurrence
from tracker.schedule import services as sched
from tracker.schedule.models import Appointment, ClosureDay

LONDON = ZoneInfo("Europe/London")
TUE, THU = 1, 3


def local_times(starts, zone=LONDON):
    return [s.astimezone(zone).strftime("%Y-%m-%d %a %H:%M") for s in starts]


# --- Pure recurrence ------------------------------------------------------------------------

def test_weekly_rule_keeps_wall_clock_time_across_dst_end():
    starts = recurrence.occurrences(date(2026, 10, 13), [TUE, THU], time(9, 30), LONDON,
                                    count=6)
    assert {s.astimezone(LONDON).strftime("%H:%M") for s in starts} == {"09:30"}
    assert [s.astimezone(UTC).hour for s in starts] == [8, 8, 8, 8, 9, 9]  # BST, then GMT


def test_weekly_rule_across_dst_start_and_a_time_inside_the_gap():
    starts = recurrence.occurrences(date(2027, 3, 23), [TUE, THU], time(9, 30), LONDON, count=4)
    assert [s.astimezone(UTC).hour for s in starts] == [9, 9, 8, 8]
    # 01:30 on 28 March 2027 does not exist in London: it moves forward past the gap.
    gap = recurrence.to_utc(date(2027, 3, 28), time(1, 30), LONDON)
    assert gap.astimezone(LONDON).strftime("%H:%M") == "02:30"
    # 01:30 on 31 October 2027 happens twice: the first one is taken.
    twice = recurrence.to_utc(date(2027, 10, 31), time(1, 30), LONDON)
    assert twice == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_closure_days_are_skipped_and_do_not_use_up_sessions():
    starts = recurrence.occurrences(date(2026, 12, 22), [TUE, THU], time(9, 30), LONDON,
                                    count=4, closures={date(2026, 12, 24), date(2026, 12, 29)})
    assert local_times(starts) == ["2026-12-22 Tue 09:30", "2026-12-31 Thu 09:30",
                                   "2027-01-05 Tue 09:30", "2027-01-07 Thu 09:30"]


def test_month_ends_and_end_date_inclusive():
    starts = recurrence.occurrences(date(2027, 1, 28), [3, 6], time(18, 0), LONDON,
                                    until=date(2027, 2, 28))
    assert local_times(starts)[:3] == ["2027-01-28 Thu 18:00", "2027-01-31 Sun 18:00",
                                       "2027-02-04 Thu 18:00"]
    assert local_times(starts)[-1] == "2027-02-28 Sun 18:00"  # the end date itself is included
    leap = recurrence.occurrences(date(2028, 2, 28), [1], time(9, 0), LONDON, count=2)
    assert local_times(leap) == ["2028-02-29 Tue 09:00", "2028-03-07 Tue 09:00"]


def test_fortnightly_rule_keeps_its_rhythm_when_regenerated_later():
    every_two = recurrence.occurrences(date(2027, 1, 5), [TUE], time(9, 0), LONDON, count=3,
                                       interval_weeks=2)
    assert local_times(every_two) == ["2027-01-05 Tue 09:00", "2027-01-19 Tue 09:00",
                                      "2027-02-02 Tue 09:00"]
    later = recurrence.occurrences(date(2027, 1, 5), [TUE], time(9, 0), LONDON, count=1,
                                   interval_weeks=2,
                                   not_before=datetime(2027, 1, 20, tzinfo=UTC))
    assert local_times(later) == ["2027-02-02 Tue 09:00"]


def test_other_zones_and_degenerate_rules():
    sydney = ZoneInfo("Australia/Sydney")
    starts = recurrence.occurrences(date(2026, 9, 29), [1], time(9, 30), sydney, count=2)
    assert [s.astimezone(sydney).strftime("%H:%M") for s in starts] == ["09:30", "09:30"]
    assert starts[1] - starts[0] == timedelta(days=7, hours=-1)  # DST began on 4 October
    assert recurrence.occurrences(date(2027, 1, 1), [], time(9), LONDON, count=3) == []
    assert recurrence.occurrences(date(2027, 1, 1), [9], time(9), LONDON, count=3) == []
    assert recurrence.occurrences(date(2027, 1, 1), [0], time(9), LONDON) == []
    capped = recurrence.occurrences(date(2027, 1, 1), list(range(7)), time(9), LONDON,
                                    count=5000)
    assert len(capped) == recurrence.MAX_OCCURRENCES


def test_next_free_slot_skips_busy_time_closures_and_hours():
    hours = {0: [(time(9), time(12))], 1: [(time(9), time(12))]}
    monday = date(2027, 1, 4)
    nine = recurrence.to_utc(monday, time(9), LONDON)
    busy = [(nine, nine + timedelta(minutes=90))]
    assert recurrence.next_free(nine, 45, LONDON, hours, busy).astimezone(LONDON).strftime(
        "%a %H:%M") == "Mon 10:30"
    full = [(nine, nine + timedelta(hours=3))]
    assert recurrence.next_free(nine, 45, LONDON, hours, full,
                                closures={monday + timedelta(days=1)}) \
        .astimezone(LONDON).strftime("%d %a %H:%M") == "11 Mon 09:00"
    assert recurrence.next_free(nine, 45, LONDON, {}, []) is None


# --- With a database --------------------------------------------------------------------------

NOW = datetime(2026, 10, 21, 12, 0, tzinfo=UTC)  # a Wednesday, BST


@pytest.fixture
def clock():
    state = {"now": NOW}
    with clinic_clock.freeze(lambda: state["now"]):
        yield state


@pytest.fixture
def ctx(app, clock):
    with app.test_request_context():
        yield app


def people():
    """A practitioner (Mei Lin) and two patients, Ana Silva and Ben Okoro."""
    return (factories.practitioner("p1@example.org"), factories.patient(),
            factories.patient("Ben", "Okoro", date(1981, 2, 3)))


def make_plan(patient, practitioner, **changes):
    """Ten visits, Tuesdays and Thursdays at 09:30 from Tuesday 13 October 2026."""
    return factories.plan(patient, practitioner, **{"start_on": date(2026, 10, 13)} | changes)


activate = factories.book_course


def test_plan_books_from_now_counts_closures_and_dst(ctx, clock):
    clock["now"] = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)
    practitioner, patient, _ = people()
    db.session.add(ClosureDay(day=date(2026, 10, 22), reason="Training"))
    plan = make_plan(patient, practitioner)
    slots, created = activate(plan)
    assert all(s.ok for s in slots)
    assert len(created) == 10
    got = local_times([a.start_utc for a in created])
    assert "2026-10-22 Thu 09:30" not in got
    assert got[0] == "2026-10-13 Tue 09:30" and got[-1] == "2026-11-17 Tue 09:30"
    assert {g[-5:] for g in got} == {"09:30"}
    assert [a.number for a in created] == list(range(1, 11))
    # Session 6 (every sixth) and session 10, the course's last: the discharge visit.
    assert [a.number for a in created if sched.is_reeval(a, plan)] == [6, 10]
    assert sched.session_label(created[3]) == "Session 4 of 10"


def test_clash_is_shown_with_next_free_slot_and_never_booked_silently(ctx):
    practitioner, ana, ben = people()
    start = recurrence.to_utc(date(2026, 10, 27), time(9, 30), LONDON)
    sched.book(ben.id, practitioner.id, start, 60)
    plan = make_plan(ana, practitioner, start_on=date(2026, 10, 27))
    slots, replace = sched.preview(plan)
    clash = slots[0]
    assert not clash.ok and "Ben Okoro" in clash.problems[0]
    assert clash.alternative.astimezone(LONDON).strftime("%d %H:%M") == "27 10:30"
    with pytest.raises(ValueError):
        sched.apply_schedule(plan, slots, replace, {})
    db.session.rollback()


def test_clash_choices_next_skip_keep(ctx):
    practitioner, ana, ben = people()
    for day in (27, 29):
        sched.book(ben.id, practitioner.id,
                   recurrence.to_utc(date(2026, 10, day), time(9, 30), LONDON), 45)
    plan = make_plan(ana, practitioner, start_on=date(2026, 10, 27), sessions_planned=4)
    slots, created = activate(plan, {0: "next", 1: "skip"})
    assert local_times([a.start_utc for a in created]) == [
        "2026-10-27 Tue 10:15", "2026-11-03 Tue 09:30", "2026-11-05 Thu 09:30"]
    other = make_plan(ana, practitioner, start_on=date(2026, 11, 3), sessions_planned=1)
    slots, created = activate(other, {0: "keep"})
    assert slots[0].problems and len(created) == 1  # knowingly double-booked


def test_working_hours_and_closure_checked_for_one_off(ctx):
    practitioner, ana, _ = people()
    sched.set_working_hours(practitioner.id, {1: [(time(13), time(17))]})
    db.session.add(ClosureDay(day=date(2026, 11, 5), reason="Holiday"))
    db.session.flush()
    morning = recurrence.to_utc(date(2026, 11, 3), time(9, 30), LONDON)
    slot = sched.check(practitioner.id, ana.id, [morning], 45)[0]
    assert "Outside the practitioner's working hours." in slot.problems
    assert slot.alternative.astimezone(LONDON).strftime("%a %H:%M") == "Tue 13:00"
    closed = recurrence.to_utc(date(2026, 11, 5), time(14), LONDON)
    assert any("closed" in p for p in sched.check(practitioner.id, ana.id, [closed], 45)[0]
               .problems)


def test_regeneration_changes_only_future_unattended_appointments(ctx, clock):
    clock["now"] = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)
    practitioner, patient, _ = people()
    plan = make_plan(patient, practitioner)
    _, first = activate(plan)
    clock["now"] = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)  # after sessions 1-5 (Tue 27th)
    sched.act(first[0], "attended")
    sched.act(first[1], "attended")
    sched.act(first[2], "no_show")
    sched.act(first[3], "cancelled_patient", "Ill")
    # first[4] (27 Oct) is past and still scheduled: it stays as it is.
    sched.act(first[6], "cancelled_clinic", "Practitioner ill")  # future, cancelled: kept
    past = {a.id: (a.starts_at, a.status) for a in first[:5]}
    plan, changed = plan_services.save_plan(plan, patient.id, practitioner.id,
                                            {"weekdays": [THU]}, None)
    assert changed
    _, created = activate(plan)
    for appt_id, (starts_at, status) in past.items():
        row = db.session.get(Appointment, appt_id)
        assert (row.starts_at, row.status) == (starts_at, status)
    assert db.session.get(Appointment, first[6].id).status == "cancelled_clinic"
    # Held: 2 attended + 1 past scheduled = 3 of 10, so 7 Thursdays from now.
    assert len(created) == 7
    assert {a.start_utc.astimezone(LONDON).strftime("%a %H:%M") for a in created} == {
        "Thu 09:30"}
    assert min(a.start_utc for a in created) > clock["now"]
    numbers = sorted(a.number for a in sched.plan_appointments(plan.id) if a.number)
    assert numbers == list(range(1, 11))
    progress = sched.progress(plan)
    assert (progress.attended, progress.no_show, progress.cancelled, progress.planned) == (
        2, 1, 2, 10)


def test_actions_rules(ctx, clock):
    practitioner, patient, _ = people()
    appt = sched.book(patient.id, practitioner.id,
                      recurrence.to_utc(date(2026, 10, 29), time(10), LONDON), 45)
    assert "on or after the day" in sched.action_problem(appt, "no_show", "")
    assert "on or after the day" in sched.action_problem(appt, "attended", "")
    assert sched.action_problem(appt, "cancelled_patient", " ") == ""  # the button says who
    assert sched.action_problem(appt, "explode", "") == "Choose one of the actions offered."
    clock["now"] = datetime(2026, 10, 29, 9, 0, tzinfo=UTC)
    assert sched.action_problem(appt, "check_in", "") == ""
    sched.act(appt, "check_in")
    assert appt.checked_in_at == clock["now"] and appt.status == "scheduled"
    new = sched.reschedule(appt, recurrence.to_utc(date(2026, 10, 30), time(11), LONDON), 30)
    assert appt.status == "rescheduled" and new.rescheduled_from_id == appt.id
    assert "rescheduled" in sched.action_problem(appt, "attended", "")


def test_week_view_query_count_is_independent_of_diary_size(app, client, auth, clock):
    user_id = auth.login("practitioner")
    with app.app_context():
        patient_id = factories.patient().id
        db.session.commit()
    monday = date(2026, 10, 19)

    def fill(n):
        with app.app_context():
            for i in range(n):
                day = monday + timedelta(days=i % 7 - 7 * (i // 7 % 100))
                db.session.add(Appointment(
                    patient_id=patient_id, practitioner_id=user_id, minutes=30,
                    starts_at=recurrence.to_utc(day, time(8 + i % 10, 0), LONDON)))
            db.session.commit()

    def queries(url):
        return statements_for(app, client, url)[0]

    urls = [f"/schedule/week?practitioner={user_id}&start={monday}",
            f"/schedule/clinic?start={monday}", "/"]
    fill(10)
    small = [queries(u) for u in urls]
    fill(200)
    large = [queries(u) for u in urls]
    assert small == large, (small, large)
    page = client.get(f"/schedule/week?practitioner={user_id}&start={monday}").data.decode()
    assert "Ana Silva" in page and "Mon 19 Oct" in page


def test_week_grids_show_each_card_in_clinic_time(app, client, auth, clock):
    """Both grids: times in clinic time across the DST change, 'Session n of m', the
    re-evaluation badge on session 6, a cancelled card labelled, a rescheduled one gone."""
    clock["now"] = datetime(2026, 10, 12, 8, 0, tzinfo=UTC)
    auth.login("admin")
    with app.test_request_context():
        practitioner, ana, _ = people()
        plan = make_plan(ana, practitioner)
        _, created = activate(plan)
        sched.act(created[0], "cancelled_patient", "Flu")
        sched.reschedule(created[1], recurrence.to_utc(date(2026, 10, 16), time(11), LONDON), 45)
        db.session.commit()
        user_id = practitioner.id
    for url in (f"/schedule/week?practitioner={user_id}&start=2026-10-13",
                "/schedule/clinic?start=2026-10-13", "/schedule/week?practitioner="
                f"{user_id}&start=2026-11-03", "/schedule/clinic?start=2026-11-03"):
        page = html.unescape(client.get(url).data.decode())
        cards = re.findall(r'<a class="appt status-(\w+)".*?</a>', page, re.S)
        text = [" ".join(re.sub(r"<[^>]+>", " ", c).split())
                for c in re.findall(r'<a class="appt .*?</a>', page, re.S)]
        if url.endswith("10-13"):  # the cancelled one loses its number; Thursday's moved
            assert cards == ["cancelled_patient", "scheduled"], url
            assert text == ["09:30–10:15 Ana Silva Cancelled by patient",
                            "11:00–11:45 Ana Silva Session 1 of 10"], url
        else:  # after the clocks go back on 25 October: still 09:30 on the wall
            assert text == ["09:30–10:15 Ana Silva Session 6 of 10 Re-evaluation",
                            "09:30–10:15 Ana Silva Session 7 of 10"], url


# --- Pages ------------------------------------------------------------------------------------

def seed_appointment(app, starts_at):
    """Zoë O'Connor booked with Mei Lin; returns (appointment, patient, practitioner) ids."""
    with app.app_context():
        practitioner = factories.practitioner()
        patient = factories.patient("Zoë", "O'Connor", date(1990, 1, 2))
        appt = sched.book(patient.id, practitioner.id, starts_at, 45)
        db.session.commit()
        return appt.id, patient.id, practitioner.id


def test_reception_books_cancels_and_reschedules_but_sees_no_clinical_content(
        app, client, auth, clock):
    auth.login("reception")
    appt_id, patient_id, pract_id = seed_appointment(
        app, recurrence.to_utc(date(2026, 10, 23), time(10), LONDON))
    page = client.get(f"/schedule/appointments/{appt_id}").data.decode()
    assert "Cancelled by patient" in page and "Reschedule" in page
    bad = client.post(f"/schedule/appointments/{appt_id}/action",
                      data={"action": "no_show", "reason": ""})  # the day has not come
    assert bad.status_code == 400 and b"on or after the day of the appointment" in bad.data
    clash = client.post(f"/schedule/patients/{patient_id}/appointments/new", data={
        "practitioner_id": pract_id, "plan_id": "0", "day": "2026-10-23", "start": "10:15",
        "minutes": "45", "reason": "Extra session"})
    assert clash.status_code == 400
    text = html.unescape(clash.data.decode())
    assert "Clashes with the practitioner's appointment" in text
    assert "Next free slot: Fri 23 Oct 2026, 10:45" in text and "Extra session" in text
    ok = client.post(f"/schedule/patients/{patient_id}/appointments/new", data={
        "practitioner_id": pract_id, "plan_id": "0", "day": "2026-10-23", "start": "10:45",
        "minutes": "45", "reason": "Extra session"})
    assert ok.status_code == 302
    moved = client.post(f"/schedule/appointments/{appt_id}/reschedule", data={
        "day": "2026-10-26", "start": "14:00", "minutes": "45", "reason": "Patient asked"})
    assert moved.status_code == 302
    assert client.post(f"/schedule/appointments/{appt_id}/action", data={
        "action": "cancelled_patient", "reason": "x"}).status_code == 400  # the moved one
    for url in ("/schedule/closures", "/plans/points"):
        assert client.get(url).status_code == 403


def test_no_state_change_on_get_and_actions_need_post(app, client, auth, clock):
    auth.login("practitioner")
    appt_id, _, _ = seed_appointment(app, recurrence.to_utc(date(2026, 10, 21), time(9), LONDON))
    back = client.get(f"/schedule/appointments/{appt_id}/action")
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/{appt_id}")
    with app.app_context():
        assert db.session.get(Appointment, appt_id).status == "scheduled"
    response = client.post(f"/schedule/appointments/{appt_id}/action",
                           data={"action": "no_show"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Appointment, appt_id).status == "no_show"


def test_card_and_ics_list_upcoming_sessions_only(app, client, auth, clock):
    auth.login("reception")
    appt_id, patient_id, _ = seed_appointment(
        app, recurrence.to_utc(date(2026, 10, 27), time(9, 30), LONDON))
    card = client.get(f"/schedule/patients/{patient_id}/card").data.decode()
    assert "Tue 27 Oct 2026" in card and "09:30" in card and "js/schedule.js" in card
    response = client.get(f"/schedule/patients/{patient_id}/appointments.ics")
    assert response.mimetype == "text/calendar"
    cal = Calendar.from_ical(response.data)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 1
    assert events[0].decoded("dtstart") == datetime(2026, 10, 27, 9, 30, tzinfo=UTC)  # GMT
    assert "Mei Lin" in str(events[0]["description"])


def test_closure_days_admin_only_and_warn_about_booked_appointments(app, client, auth, clock):
    auth.login("admin")
    seed_appointment(app, recurrence.to_utc(date(2026, 12, 24), time(10), LONDON))
    response = client.post("/schedule/closures", data={"day": "2026-12-24",
                                                       "reason": "Christmas Eve"})
    assert response.status_code == 302
    page = html.unescape(client.get("/schedule/closures").data.decode())
    assert "1 appointments are already booked" in page and "Christmas Eve" in page
    dupe = client.post("/schedule/closures", data={"day": "2026-12-24", "reason": "again"})
    assert dupe.status_code == 400 and b"already marked closed" in dupe.data
    with app.app_context():
        closure_id = db.session.execute(select(ClosureDay.id)).scalar_one()
    client.post(f"/schedule/closures/{closure_id}/delete")
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(ClosureDay)).scalar() == 0


def test_working_hours_form(app, client, auth):
    user_id = auth.login("practitioner")
    bad = client.post(f"/schedule/hours/{user_id}", data={
        "day0-starts": "09:00", "day0-ends": "08:00", "day1-starts": "09:00"})
    assert bad.status_code == 400
    assert b"The end must be after the start." in bad.data
    assert b"Give both times" in bad.data
    ok = client.post(f"/schedule/hours/{user_id}", data={
        "day0-starts": "09:00", "day0-ends": "17:00", "day2-starts": "12:00",
        "day2-ends": "20:00"})
    assert ok.status_code == 302
    with app.app_context():
        hours = sched.working_hours(user_id)
        assert hours == {0: [(time(9), time(17))], 2: [(time(12), time(20))]}
    other = make_user(app, "practitioner", "other@example.org")
    assert client.get(f"/schedule/hours/{other}").status_code == 200  # schedule.manage


@pytest.mark.parametrize("role", sorted(ROLE_PERMISSIONS))
def test_schedule_pages_render_for_every_role(app, client, auth, clock, role):
    auth.login(role)
    for url in ("/schedule/", "/schedule/week", "/schedule/clinic", "/",
                "/schedule/week?start=garbage", "/schedule/clinic?start=2026-02-30"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        page = response.data.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", page) and " style=" not in page


@pytest.mark.parametrize("start", ["9999-12-31", "0001-01-01", "2026-13-01", "x" * 500])
def test_week_views_survive_extreme_dates(app, client, auth, start):
    auth.login("admin")
    for url in (f"/schedule/week?start={start}", f"/schedule/clinic?start={start}"):
        assert client.get(url).status_code == 200, url


def test_undoing_a_cancellation_never_double_books(ctx, clock):
    practitioner, ana, ben = people()
    start = recurrence.to_utc(date(2026, 10, 27), time(9, 30), LONDON)
    first = sched.book(ana.id, practitioner.id, start, 45)
    sched.act(first, "cancelled_patient", "Ill")
    assert sched.action_problem(first, "scheduled", "") == ""
    sched.book(ben.id, practitioner.id, start, 45)  # the slot is given away
    assert "now taken (Ben Okoro)" in sched.action_problem(first, "scheduled", "")


def test_appointment_page_offers_the_session_record_to_clinicians_only(app, client, auth,
                                                                       clock):
    auth.login("practitioner")
    appt_id, _, _ = seed_appointment(app, recurrence.to_utc(date(2026, 10, 21), time(9), LONDON))
    assert b"Start the session record" in client.get(f"/schedule/appointments/{appt_id}").data
    auth.logout()
    auth.login("reception")
    page = client.get(f"/schedule/appointments/{appt_id}").data
    assert b"Start the session record" not in page and b"Cancelled by patient" in page


def test_dashboard_shows_today_reevaluation_due_and_plans_ending(app, client, auth, clock):
    user_id = auth.login("practitioner")
    with app.test_request_context():
        plan = factories.plan(factories.patient(), user_id, conditions="Neck pain",
                              weekdays=[0, 1, 2, 3, 4], start_time=time(15),
                              start_on=date(2026, 10, 14), sessions_planned=6)
        clock["now"] = datetime(2026, 10, 13, 12, 0, tzinfo=UTC)
        activate(plan)
        db.session.commit()
    clock["now"] = datetime(2026, 10, 21, 9, 0, tzinfo=UTC)  # Wed: session 6 is today at 15:00
    page = html.unescape(client.get("/").data.decode())
    assert "Your appointments today" in page and "Ana Silva" in page
    assert "Session 6 of 6" in page and "Re-evaluation due" in page
    assert "Ending soon" in page


def test_cancelled_sessions_are_cancelled_in_the_ics_and_audited(app, client, auth, clock):
    from tracker.audit.models import AuditEntry
    auth.login("reception")
    appt_id, patient_id, _ = seed_appointment(
        app, recurrence.to_utc(date(2026, 10, 27), time(9, 30), LONDON))
    client.post(f"/schedule/appointments/{appt_id}/action",
                data={"action": "cancelled_clinic", "reason": "Practitioner ill"})
    cal = Calendar.from_ical(client.get(f"/schedule/patients/{patient_id}/appointments.ics").data)
    # Still in the file, as cancelled with a higher SEQUENCE: a phone calendar that imported the
    # visit earlier removes it instead of keeping it.
    [event] = cal.walk("VEVENT")
    assert str(event["status"]) == "CANCELLED" and int(event["sequence"]) == 1
    with app.app_context():
        entry = db.session.execute(select(AuditEntry).where(
            AuditEntry.entity == "Appointment", AuditEntry.action == "update")).scalar_one()
        assert entry.changes["status"] == ["scheduled", "cancelled_clinic"]
        assert entry.user_email == "reception@example.org" and entry.patient_id == patient_id
