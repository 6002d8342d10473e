"""Messages to patients through the outbox, delivered to a real SMTP server (aiosmtpd, in this
process): the intake link by email, booking confirmations with their calendar event, reminders
at clinic times across daylight-saving changes, a mail server that is down for a sending run,
two senders at once, opt-outs, cancelled visits, and the SMTP password kept out of the database
and the logs."""
import logging
import re
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select, text

from tests import factories
from tests.conftest import Client
from tests.mail_server import SMTP_PASSWORD, MailServer, use_smtp
from tracker import clock
from tracker.audit.models import AuditEntry
from tracker.extensions import db
from tracker.messages import notify, outbox, sender
from tracker.messages.models import OutboundMessage
from tracker.schedule import services as schedule
from tracker.schedule.models import Appointment
from tracker.settings.services import get_settings


def patient_with(given="Ana", email_address="ana@example.net", **extra):
    return factories.patient(given, "Silva", email=email_address, **extra)


def body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def calendar_of(msg) -> Calendar:
    parts = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [p.get_content_type() for p in msg.iter_attachments()]
    assert parts[0].get_filename() == "appointment.ics"
    return Calendar.from_ical(parts[0].get_content())


def rows(**where) -> list[OutboundMessage]:
    stmt = select(OutboundMessage).order_by(OutboundMessage.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(OutboundMessage, name) == value)
    return list(db.session.scalars(stmt))


# --- The intake link ---------------------------------------------------------------------------

def test_reception_emails_the_intake_link_and_the_patient_opens_it(app, client, auth, smtp):
    auth.login("reception")
    with app.app_context():
        use_smtp(smtp)
        patient_id = patient_with().id
        db.session.commit()
    created = client.post(f"/patients/{patient_id}/intake-links")
    share_url = created.headers["Location"]
    page = client.get(share_url).data.decode()
    link = re.search(r'id="intake-url" class="mono" value="([^"]+)"', page).group(1)
    token = link.rsplit("/i/", 1)[1]
    assert 'value="ana@example.net"' in page  # the address on file is offered
    invitation_id = int(share_url.rstrip("/").rsplit("/", 1)[1])

    # A token that is not this link's is refused; a bad address comes back beside the field.
    assert client.post(f"/intake-links/{invitation_id}/email",
                       data={"email": "ana@example.net", "token": token[:-2] + "xy"}
                       ).status_code == 400
    bad = client.post(f"/intake-links/{invitation_id}/email",
                      data={"email": "not-an-address", "token": token})
    assert bad.status_code == 400
    assert "Enter an email address like name@example.com." in bad.data.decode()
    assert link in bad.data.decode()  # the page still shows the link it was sending

    sent = client.post(f"/intake-links/{invitation_id}/email",
                       data={"email": "ana@example.net", "token": token})
    assert sent.status_code == 302
    with app.app_context():
        assert [r.status for r in rows()] == ["queued"]
        assert token not in str(rows()[0].body_sealed)  # sealed, not stored as typed
        run = sender.run_once()
    assert run.sent == 1
    [msg] = smtp.inbox.received
    assert msg["To"] == "ana@example.net"
    assert msg["From"] == "Harbour Acupuncture <frontdesk@harbour.example>"
    found = re.search(r"https://localhost(/i/\S+)", body(msg))
    assert found and found.group(0) == link

    patient_phone = app.test_client()
    patient_phone.__class__ = Client
    opened = patient_phone.get(found.group(1), follow_redirects=True)
    assert opened.status_code == 200
    assert "Date of birth" in opened.data.decode()  # the first step of the patient's form

    # Later, from the share page (the link is no longer shown): send it again.
    again_page = client.get(share_url).data.decode()
    assert "ana@example.net: sent" in again_page and link not in again_page
    again = client.post(f"/intake-links/{invitation_id}/email",
                        data={"email": "ana.silva@example.org"})
    assert again.status_code == 302
    with app.app_context():
        assert sender.run_once().sent == 1
    assert smtp.inbox.received[1]["To"] == "ana.silva@example.org"
    assert link in body(smtp.inbox.received[1])
    assert smtp.inbox.received[0]["Message-ID"] != smtp.inbox.received[1]["Message-ID"]


def test_a_revoked_link_is_not_sent_again(app, client, auth, smtp):
    auth.login("reception")
    with app.app_context():
        use_smtp(smtp)
        patient_id = patient_with().id
        db.session.commit()
    share_url = client.post(f"/patients/{patient_id}/intake-links").headers["Location"]
    page = client.get(share_url).data.decode()
    token = re.search(r'id="intake-url" class="mono" value="[^"]+/i/([^"]+)"', page).group(1)
    invitation_id = int(share_url.rsplit("/", 1)[1])
    client.post(f"/intake-links/{invitation_id}/email",
                data={"email": "ana@example.net", "token": token})
    client.post(f"/intake-links/{invitation_id}/revoke")
    refused = client.post(f"/intake-links/{invitation_id}/email",
                          data={"email": "ana@example.net"})
    assert refused.status_code == 400
    assert "no longer opens the form" in refused.data.decode()
    with app.app_context():
        assert len(rows(kind="intake_link")) == 1


# --- Bookings ----------------------------------------------------------------------------------

def test_booking_sends_a_confirmation_with_its_calendar_event(app, client, auth, smtp):
    auth.login("reception")
    with app.app_context():
        use_smtp(smtp)
        mei = factories.practitioner(display_name="Mei Lin")
        patient_id = patient_with(notes="Dislikes needles in the feet").id
        db.session.commit()
        mei_id = mei.id
    with clock.freeze(datetime(2026, 10, 19, 9, 0, tzinfo=UTC)):
        booked = client.post(f"/schedule/patients/{patient_id}/appointments/new", data={
            "practitioner_id": mei_id, "plan_id": "0", "day": "2026-10-23", "start": "10:45",
            "minutes": "45", "reason": "Extra session", "book_anyway": "y"})
        assert booked.status_code == 302, booked.data.decode()[:2000]
        appt_id = int(booked.headers["Location"].rsplit("/", 1)[1])
        with app.app_context():
            assert sender.run_once().sent == 1
        [confirmation] = smtp.inbox.received
        assert confirmation["Subject"] == "Your appointment is booked: Harbour Acupuncture"
        text_part = body(confirmation)
        assert "Fri 23 Oct 2026, 10:45" in text_part and "Mei Lin" in text_part
        assert "needles" not in text_part and "Extra session" not in text_part  # no notes
        event = calendar_of(confirmation).walk("VEVENT")[0]
        assert str(event["UID"]) == f"appointment-{appt_id}@localhost"
        assert event["SEQUENCE"] == 0 and str(event["STATUS"]) == "CONFIRMED"
        assert event.decoded("DTSTART") == datetime(2026, 10, 23, 9, 45, tzinfo=UTC)  # BST

        moved = client.post(f"/schedule/appointments/{appt_id}/reschedule", data={
            "day": "2026-10-26", "start": "14:00", "minutes": "45", "reason": "",
            "book_anyway": "y"})
        assert moved.status_code == 302
        new_id = int(moved.headers["Location"].rsplit("/", 1)[1])
        cancelled = client.post(f"/schedule/appointments/{new_id}/action", data={
            "action": "cancelled_patient", "reason": "Away"})
        assert cancelled.status_code == 302
        with app.app_context():
            assert sender.run_once().sent == 2
    moved_msg, cancel_msg = smtp.inbox.received[1:]
    assert moved_msg["Subject"].startswith("Your appointment has moved")
    moved_event = calendar_of(moved_msg).walk("VEVENT")[0]
    # The same event, updated: the UID of the first booking and a higher SEQUENCE.
    assert str(moved_event["UID"]) == f"appointment-{appt_id}@localhost"
    assert moved_event["SEQUENCE"] == 1
    assert moved_event.decoded("DTSTART") == datetime(2026, 10, 26, 14, 0, tzinfo=UTC)  # GMT
    cancel_event = calendar_of(cancel_msg).walk("VEVENT")[0]
    assert str(cancel_event["UID"]) == f"appointment-{appt_id}@localhost"
    assert cancel_event["SEQUENCE"] == 2 and str(cancel_event["STATUS"]) == "CANCELLED"


def test_a_booked_course_is_one_message_with_every_visit(app, smtp):
    with app.app_context(), clock.freeze(datetime(2026, 3, 2, 8, 0, tzinfo=UTC)):
        use_smtp(smtp)
        mei = factories.practitioner()
        ana = patient_with()
        plan = factories.plan(ana, mei, sessions_planned=4)
        _, created = factories.book_course(plan)
        db.session.commit()
        assert len(created) == 4
        uids = sorted(f"appointment-{a.id}@clinic-tracker" for a in created)
        assert sender.run_once().sent == 1
    [msg] = smtp.inbox.received
    events = calendar_of(msg).walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == uids
    assert body(msg).count("- ") == 4


def test_a_rebooked_course_cancels_the_visits_it_replaced_and_a_paused_one_cancels_the_rest(
        app, smtp):
    from tracker import courses
    with app.app_context(), clock.freeze(datetime(2026, 3, 2, 8, 0, tzinfo=UTC)):
        use_smtp(smtp)
        ana, mei = patient_with(), factories.practitioner()
        plan = factories.plan(ana, mei, sessions_planned=3)
        _, first = factories.book_course(plan)
        db.session.commit()
        first_uids = sorted(f"appointment-{a.id}@clinic-tracker" for a in first)
        _, second = factories.book_course(plan)  # booked again: the three are replaced
        db.session.commit()
        second_uids = sorted(f"appointment-{a.id}@clinic-tracker" for a in second)
        change = courses.change_status(plan.id, "on_hold", "Travelling", mei.id)
        db.session.commit()
        assert change.removed == 3
        assert sender.run_once().sent == 3
    booked, rebooked, paused = smtp.inbox.received
    found = calendar_of(rebooked).walk("VEVENT")
    events = {str(e["UID"]): e for e in found}
    assert len(events) == len(found)  # one event per UID
    assert not set(first_uids) & set(second_uids)  # a deleted visit's id is never handed out
    cancelled_uids = first_uids
    assert sorted(events) == sorted(first_uids + second_uids)
    assert {str(events[u]["STATUS"]) for u in second_uids} == {"CONFIRMED"}
    assert all(str(events[u]["STATUS"]) == "CANCELLED" and events[u]["SEQUENCE"] == 1
               for u in cancelled_uids)
    assert body(rebooked).count("- ") == 3  # the text lists the new visits only
    assert paused["Subject"] == "Your appointments are cancelled: Harbour Acupuncture"
    gone = calendar_of(paused).walk("VEVENT")
    assert sorted(str(e["UID"]) for e in gone) == second_uids
    assert {(str(e["STATUS"]), e["SEQUENCE"]) for e in gone} == {("CANCELLED", 1)}
    assert "These appointments are cancelled" in body(paused)


def test_a_new_visit_never_takes_a_deleted_visits_id_and_is_confirmed(app):
    """Without AUTOINCREMENT SQLite gives a new row the id of the highest deleted one, and the
    visit's calendar UID would repeat on the patient's phone."""
    with app.app_context():
        ana, bo = patient_with("Ana"), patient_with("Bo", "bo@example.net")
        mei = factories.practitioner()
        db.session.commit()
        first = schedule.book(ana.id, mei.id, clock.now() + timedelta(days=3), 45)
        db.session.commit()
        first_id = first.id
        db.session.delete(first)  # e.g. a plan's rebooking removed it
        db.session.commit()
        second = schedule.book(bo.id, mei.id, clock.now() + timedelta(days=4), 45)
        db.session.commit()
        assert second.id != first_id  # on SQLite too (migration 0027)
        assert [r.recipient for r in rows(kind="booked")] == ["ana@example.net",
                                                              "bo@example.net"]


def test_a_booking_rolled_back_sends_nothing(app, smtp):
    with app.app_context():
        use_smtp(smtp)
        ana, mei = patient_with(), factories.practitioner()
        db.session.commit()
        schedule.book(ana.id, mei.id, clock.now() + timedelta(days=2), 45)
        assert len(rows()) == 1  # in the booking's transaction ...
        db.session.rollback()  # ... and gone with it
        assert rows() == []
        assert sender.run_once().sent == 0
    assert smtp.inbox.received == []


def test_preferred_channel_text_message_goes_through_the_gateway(app, tmp_path, smtp):
    app.config["SMS_FILE"] = str(tmp_path / "sms.jsonl")
    with app.app_context():
        use_smtp(smtp)
        ana = patient_with(phone="+44 7700 900123", preferred_channel="sms")
        mei = factories.practitioner()
        db.session.commit()
        schedule.book(ana.id, mei.id, datetime(2030, 1, 8, 10, 0, tzinfo=UTC), 45)
        db.session.commit()
        assert sender.run_once().sent == 1
        [row] = rows()
        assert (row.channel, row.recipient) == ("sms", "+44 7700 900123")
    import json
    [line] = (tmp_path / "sms.jsonl").read_text().splitlines()
    sms = json.loads(line)
    assert sms["to"] == "+44 7700 900123" and "Tue 08 Jan 2030, 10:00" in sms["text"]
    assert smtp.inbox.received == []


def test_a_gateway_that_breaks_delays_its_message_and_not_the_others(app, tmp_path, smtp):
    app.config["SMS_FILE"] = str(tmp_path / "missing-folder" / "sms.jsonl")  # cannot be written
    with app.app_context():
        use_smtp(smtp)
        outbox.enqueue(kind="checkin", channel="sms", recipient="+44 7700 900123",
                       content=outbox.Content("", "Reminder"))
        queue_messages(1)
        run = sender.run_once()
        assert (run.sent, run.retried) == (1, 1)
        assert [r.status for r in rows()] == ["queued", "sent"]
        assert rows()[0].last_error == "unexpected error: FileNotFoundError"


# --- Reminders ---------------------------------------------------------------------------------

def visit(at_utc: datetime, patient=None, practitioner=None) -> Appointment:
    return factories.appointment(patient, practitioner, at_utc, status="scheduled")


def queued_at(moment: datetime) -> int:
    with clock.freeze(moment):
        return notify.queue_due_reminders()


@pytest.mark.parametrize(("visit_utc", "due_utc", "what"), [
    # Sunday 29 March 2026: the clocks go forward at 01:00 UTC. A 10:00 BST Sunday visit (09:00
    # UTC) is reminded at 10:00 GMT on Saturday (10:00 UTC), not 24 real hours before (09:00).
    (datetime(2026, 3, 29, 9, 0, tzinfo=UTC), datetime(2026, 3, 28, 10, 0, tzinfo=UTC),
     "spring forward"),
    # Sunday 25 October 2026: the clocks go back. A 10:00 GMT Sunday visit is reminded at 10:00
    # BST on Saturday (09:00 UTC).
    (datetime(2026, 10, 25, 10, 0, tzinfo=UTC), datetime(2026, 10, 24, 9, 0, tzinfo=UTC),
     "fall back"),
    # A 07:30 visit on Monday 30 March (BST): 07:30 on Sunday is before 08:00, so the reminder
    # goes on Saturday evening at 20:00 GMT, before the clocks change.
    (datetime(2026, 3, 30, 6, 30, tzinfo=UTC), datetime(2026, 3, 28, 20, 0, tzinfo=UTC),
     "early visit, the evening before the change"),
    # A 21:00 visit (GMT) on Friday 30 October: 21:00 on Thursday is after 20:00, so 20:00.
    (datetime(2026, 10, 30, 21, 0, tzinfo=UTC), datetime(2026, 10, 29, 20, 0, tzinfo=UTC),
     "late visit"),
])
def test_reminders_go_at_clinic_times_across_daylight_saving(app, smtp, visit_utc, due_utc,
                                                             what):
    with app.app_context():
        use_smtp(smtp)
        appt = visit(visit_utc, patient_with(), factories.practitioner())
        db.session.commit()
        assert notify.reminder_due(visit_utc, 24) == due_utc, what
        assert queued_at(due_utc - timedelta(seconds=1)) == 0
        assert queued_at(due_utc) == 1
        assert queued_at(due_utc + timedelta(hours=1)) == 0  # once, however often it runs
        with clock.freeze(due_utc):
            assert sender.run_once().sent == 1
        [row] = rows(kind="reminder")
        assert row.appointment_id == appt.id
    [msg] = smtp.inbox.received
    wall = clock.local(visit_utc, ZoneInfo("Europe/London"))
    assert f"{wall:%H:%M}" in body(msg)


def test_a_reminder_due_in_the_night_waits_for_the_morning(app):
    with app.app_context():
        use_smtp(MailServer())
        mei = factories.practitioner()
        # Booked at 22:00 on Monday 1 June (BST) for Tuesday: at noon (due Monday 12:00, long
        # past) and at 07:30 (due Monday 20:00, just past).
        noon = visit(datetime(2026, 6, 2, 11, 0, tzinfo=UTC), patient_with("Ana"), mei)
        early = visit(datetime(2026, 6, 2, 6, 30, tzinfo=UTC),
                      patient_with("Bo", "bo@example.net"), mei)
        db.session.commit()
        assert queued_at(datetime(2026, 6, 1, 20, 59, tzinfo=UTC)) == 0  # 21:59 BST
        assert queued_at(datetime(2026, 6, 1, 21, 0, tzinfo=UTC)) == 0  # 22:00
        assert queued_at(datetime(2026, 6, 2, 6, 59, tzinfo=UTC)) == 0  # 07:59
        assert queued_at(datetime(2026, 6, 2, 7, 0, tzinfo=UTC)) == 1  # 08:00
        assert [r.appointment_id for r in rows(kind="reminder")] == [noon.id]
        assert early.id not in [r.appointment_id for r in rows()]  # its visit had begun


def test_reminders_honour_the_opt_out_and_skip_cancelled_visits(app, smtp):
    monday = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    with app.app_context():
        use_smtp(smtp)
        mei = factories.practitioner()
        kept = visit(monday, patient_with("Ana", "ana@example.net"), mei)
        opted = visit(monday + timedelta(hours=1),
                      patient_with("Bo", "bo@example.net", reminder_opt_out=True), mei)
        cancelled = visit(monday + timedelta(hours=2), patient_with("Cy", "cy@example.net"), mei)
        schedule.act(cancelled, "cancelled_clinic", "Practitioner ill")
        db.session.commit()
        db.session.execute(text("DELETE FROM outbound_message"))  # the cancellation notice
        db.session.commit()
        # Queued, then withdrawn at sending time: the visit cancelled after it was queued,
        # the patient who opted out after it was queued.
        later = visit(monday + timedelta(hours=3), patient_with("Di", "di@example.net"), mei)
        changed_mind = visit(monday + timedelta(hours=4), patient_with("Ed", "ed@example.net"),
                             mei)
        db.session.commit()
        with clock.freeze(monday + timedelta(hours=5) - timedelta(hours=24)):
            assert notify.queue_due_reminders() == 3  # Ana, Di, Ed
            schedule.act(later, "cancelled_patient", "Away")
            changed_mind.patient.reminder_opt_out = True
            db.session.commit()
            run = sender.run_once()
        assert (run.sent, run.withdrawn) == (2, 2)  # Ana's reminder and Di's cancellation
        reminders = {r.appointment_id: r.status for r in rows(kind="reminder")}
        assert reminders == {kept.id: "sent", later.id: "withdrawn",
                             changed_mind.id: "withdrawn"}
        assert opted.id not in reminders and cancelled.id not in reminders
    assert sorted(m["To"] for m in smtp.inbox.received) == ["ana@example.net", "di@example.net"]
    assert [m["Subject"].split(":")[0] for m in smtp.inbox.received
            if m["To"] == "di@example.net"] == ["Your appointment is cancelled"]


# --- Delivery ----------------------------------------------------------------------------------

def queue_messages(n: int) -> list[int]:
    ids = []
    for i in range(n):
        row = outbox.enqueue(kind="intake_link", channel="email",
                             recipient=f"p{i}@example.net",
                             content=outbox.Content(f"Message {i}", f"Hello {i}"))
        db.session.flush()
        ids.append(row.id)
    db.session.commit()
    return ids


def test_mail_server_down_for_a_run_loses_nothing_and_sends_each_once(app, smtp, caplog):
    start = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    now = [start]
    with app.app_context(), clock.freeze(lambda: now[0]):
        use_smtp(smtp)
        queue_messages(5)
        smtp.stop()
        run = sender.run_once()
        assert (run.sent, run.retried, run.failed) == (0, 5, 0)
        waiting = rows()
        assert {r.status for r in waiting} == {"queued"}
        assert {r.attempts for r in waiting} == {1}
        assert {r.next_attempt_at.replace(tzinfo=UTC) for r in waiting} == {
            start + timedelta(seconds=60)}
        assert all("cannot reach the mail server" in r.last_error for r in waiting)
        # Still down a minute later: the second wait is twice as long.
        now[0] = start + timedelta(seconds=60)
        assert sender.run_once().retried == 5
        assert {r.next_attempt_at.replace(tzinfo=UTC) for r in rows()} == {
            now[0] + timedelta(seconds=120)}
        smtp.start()
        now[0] += timedelta(seconds=119)
        assert sender.run_once().sent == 0  # backing off: not yet due
        now[0] += timedelta(seconds=1)
        assert sender.run_once().sent == 5
        now[0] += timedelta(hours=2)
        assert sender.run_once().sent == 0
        delivered = rows()
        assert {r.status for r in delivered} == {"sent"}
        assert all(r.body_sealed == "" for r in delivered)  # nothing kept once sent
        expected = sorted(r.message_id for r in delivered)
    assert sorted(smtp.inbox.message_ids()) == expected  # each one exactly once
    assert len(set(expected)) == 5


def test_a_message_fails_finally_after_the_last_attempt(app, smtp):
    app.config["MESSAGE_MAX_ATTEMPTS"] = 3
    start = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    now = [start]
    with app.app_context(), clock.freeze(lambda: now[0]):
        use_smtp(smtp)
        [row_id] = queue_messages(1)
        smtp.stop()
        for _ in range(3):
            sender.run_once()
            now[0] += timedelta(hours=1)
        row = db.session.get(OutboundMessage, row_id)
        assert (row.status, row.attempts) == ("failed", 3)
        assert row.failed_at is not None and row.body_sealed == ""
        smtp.start()
        assert sender.run_once().sent == 0
    assert smtp.inbox.received == []


def test_two_senders_at_once_send_each_message_once(app, smtp):
    smtp.inbox.delay = 0.03  # each sender is still sending while the other claims
    with app.app_context():
        use_smtp(smtp)
        queue_messages(30)
    barrier = threading.Barrier(2)
    runs, errors = [], []

    def one_sender():
        try:
            with app.app_context():
                barrier.wait()
                runs.append(sender.run_once())
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=one_sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(r.sent for r in runs) == 30
    assert all(r.sent for r in runs)  # both really sent, side by side
    ids = smtp.inbox.message_ids()
    assert len(ids) == 30 and len(set(ids)) == 30
    with app.app_context():
        assert {r.status for r in rows()} == {"sent"}


def test_a_claim_is_only_taken_once_and_a_lapsed_one_is_taken_again(app):
    with app.app_context():
        ids = queue_messages(3)
        first = sender.claim("worker-a")
        assert sorted(first) == ids
        assert sender.claim("worker-b") == []  # claimed: not due for anyone else
        with clock.freeze(clock.now() + sender.LEASE + timedelta(seconds=1)):
            # worker-a died mid-run: its claims are taken again once they lapse
            assert sorted(sender.claim("worker-b")) == ids
        # worker-a's late outcome is not recorded over worker-b's claim
        assert not sender._finish(ids[0], "worker-a", status="sent")


# --- Settings: the SMTP password ---------------------------------------------------------------

NO_TLS_ON_TEST_PORT = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


@NO_TLS_ON_TEST_PORT
def test_smtp_password_is_sealed_never_shown_and_never_logged(app, client, auth, smtp, caplog,
                                                              capsys):
    caplog.set_level(logging.DEBUG)
    smtp.stop()
    smtp.start(with_auth=True)
    auth.login("admin")
    with app.app_context():
        use_smtp(smtp)  # the rest of the settings as saved
    page = client.get("/settings/")
    assert "Mail server password" in page.data.decode()
    form = {"name": "Harbour Acupuncture", "address": "1 Quay Street", "phone": "",
            "email": "", "time_zone": "Europe/London", "date_style": "d_mon_y",
            "idle_timeout_minutes": "15", "intake_link_days": "14",
            "baseline_window_days": "30", "consent_text": "I agree.",
            "mail_from": "frontdesk@harbour.example", "smtp_host": "127.0.0.1",
            "smtp_port": str(smtp.port), "smtp_tls": "none", "smtp_username": "frontdesk",
            "smtp_password": SMTP_PASSWORD, "reminder_hours": "24"}
    saved = client.post("/settings/", data=form)
    assert saved.status_code == 302, saved.data.decode()[:3000]
    shown = client.get("/settings/").data.decode()
    assert SMTP_PASSWORD not in shown and "A password is stored." in shown
    # Saving the page again without typing it keeps it.
    assert client.post("/settings/", data=form | {"smtp_password": ""}).status_code == 302
    with app.app_context():
        queue_messages(1)
        assert sender.run_once().sent == 1
        dump = []
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(table.select()):
                dump.append(repr(tuple(row)))
        everything = "\n".join(dump)
        assert get_settings().smtp_password_sealed  # stored, sealed
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "ClinicSettings")).all()
        assert any((e.changes or {}).get("smtp_password") == ["", "changed"] for e in entries)
    assert smtp.inbox.logins == [(b"frontdesk", SMTP_PASSWORD.encode())]  # it did log in
    assert SMTP_PASSWORD not in everything
    assert SMTP_PASSWORD.encode().hex() not in everything
    captured = capsys.readouterr()
    assert SMTP_PASSWORD not in caplog.text + captured.out + captured.err


@NO_TLS_ON_TEST_PORT
def test_a_wrong_smtp_password_is_retried_not_lost(app, smtp):
    app.config["SMTP_TIMEOUT_SECONDS"] = 2
    smtp.stop()
    smtp.start(with_auth=True)
    with app.app_context():
        use_smtp(smtp, smtp_username="frontdesk", smtp_password="wrong-password-1234")
        queue_messages(1)
        run = sender.run_once()
        assert (run.sent, run.retried) == (0, 1)
        assert rows()[0].status == "queued" and rows()[0].last_error


# --- The log page ------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["reception", "practitioner", "admin"])
def test_the_message_log_shows_who_and_when_never_the_body_and_is_audited(app, client, auth,
                                                                          role):
    user_id = auth.login(role, email=f"log-{role}@example.org")
    with app.app_context():
        ana = patient_with()
        db.session.commit()
        outbox.enqueue(kind="intake_link", channel="email", recipient="ana@example.net",
                       content=outbox.Content("Your questionnaire", "https://x/i/SECRET-TOKEN"),
                       patient_id=ana.id)
        db.session.commit()
        ana_id = ana.id
    page = client.get(f"/messages/?patient_id={ana_id}")
    assert page.status_code == 200
    html = page.data.decode()
    assert "ana@example.net" in html and "Your questionnaire" in html and "Queued" in html
    assert "SECRET-TOKEN" not in html
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "MessageLog")).all()
        assert (entry.user_id, entry.patient_id, entry.action) == (user_id, ana_id, "view")


def test_the_message_log_needs_a_login(client):
    assert client.get("/messages/").status_code == 302


def test_flask_messages_send_runs_once_from_cron(app, smtp):
    with app.app_context():
        use_smtp(smtp)
        queue_messages(2)
    result = app.test_cli_runner().invoke(args=["messages", "send"])
    assert result.exit_code == 0, result.output
    assert "2 sent, 0 to retry, 0 failed" in result.output
    assert len(smtp.inbox.received) == 2
    again = app.test_cli_runner().invoke(args=["messages", "send"])
    assert "0 sent" in again.output and len(smtp.inbox.received) == 2


def test_the_worker_loop_keeps_sending_until_told_to_stop(app, smtp):
    with app.app_context():
        use_smtp(smtp)
        queue_messages(1)
        checks = []

        def stop():
            checks.append(1)
            if len(checks) == 3:  # after the first run, queue another for the next one
                queue_messages(1)
            return len(smtp.inbox.received) >= 2

        sender.loop(0.05, stop=stop)
    assert len(smtp.inbox.received) == 2


def test_reception_records_the_patients_channel_and_opt_out(app, client, auth):
    auth.login("reception")
    data = {"given_name": "Ana", "family_name": "Silva", "date_of_birth": "1970-05-06",
            "sex": "female", "phone": "+44 7700 900123", "email": "ana@example.net",
            "primary_practitioner_id": "0"}
    location = client.post("/patients/new", data=data).headers["Location"]
    patient_id = int(location.rsplit("/", 1)[1])
    form = client.get(location + "/edit").data.decode()
    assert "Messages from the clinic by" in form and "No appointment reminders" in form
    saved = client.post(location + "/edit", data=data | {"preferred_channel": "sms",
                                                          "reminder_opt_out": "y"})
    assert saved.status_code == 302
    shown = client.get(location).data.decode()
    assert "By text message; no appointment reminders" in shown
    assert f"/messages/?patient_id={patient_id}" in shown
    bad = client.post(location + "/edit", data=data | {"preferred_channel": "pigeon"})
    assert bad.status_code == 400
    with app.app_context():
        patient = db.session.get(factories.Patient, patient_id)
        assert (patient.preferred_channel, patient.reminder_opt_out) == ("sms", True)
        [entry] = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "Patient", AuditEntry.action == "update")).all()
        assert entry.changes["reminder_opt_out"] == [False, True]
        assert notify.contact(patient) == notify.Contact("sms", "+44 7700 900123")


def test_the_migration_keeps_ids_of_visits_deleted_before_it_from_coming_back(tmp_path):
    """0027 on a clinic's existing SQLite file: the highest id ever handed out (from the audit
    trail) stays used even when that visit is gone."""
    from flask_migrate import upgrade

    from tests.test_adjuncts import insert, migrated_app, scratch_database
    with scratch_database(tmp_path) as url:
        app = migrated_app(url)
        with app.app_context():
            upgrade(revision="0026")
            patient = insert("patient", given_name="Ana", family_name="Test")
            user = insert("user", email="p@example.org", role="practitioner")
            kept = insert("appointment", patient_id=patient, practitioner_id=user)
            gone = insert("appointment", patient_id=patient, practitioner_id=user)
            insert("audit_entry", action="create", entity="Appointment", entity_id=str(gone))
            with db.engine.begin() as conn:
                conn.execute(text("DELETE FROM appointment WHERE id = :id"), {"id": gone})
            db.engine.dispose()
            upgrade()
            new = schedule.book(patient, user, clock.now() + timedelta(days=2), 45)
            db.session.commit()
            assert new.id == gone + 1 == kept + 2  # not the deleted visit's id
            db.session.remove()
            db.engine.dispose()


def test_staff_are_told_when_email_is_not_set_up_or_the_sender_has_stopped(app, client, auth,
                                                                           smtp):
    """Never "on its way" while nothing can send it: no mail server set, or no sender run for
    ten minutes; both said on the message log and by the share page's email button."""
    auth.login("reception")
    with app.app_context():
        ana = patient_with()
        db.session.commit()
        ana_id = ana.id
    link = client.post(f"/patients/{ana_id}/intake-links")
    share = client.get(link.headers["Location"]).text
    assert "Email is not set up yet" in share  # before the email is sent: copy the link instead
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', share).group(1)
    sent = client.post(link.headers["Location"] + "/email",
                       data={"email": "ana@example.net", "token": token}, follow_redirects=True)
    assert "is queued but cannot go out: email is not set up" in sent.text
    assert "on its way" not in sent.text
    # The link is no longer shown: the way round is a new link, not "copy the link".
    assert "create a new link (it continues the same answers)" in sent.text
    assert "Copy the link or show the code instead" in share
    assert "Email is not set up" in client.get("/messages/").text
    with app.app_context():
        use_smtp(smtp)
        db.session.commit()
    assert "Email is not set up" not in client.get("/messages/").text
    start = clock.now()
    with app.app_context(), clock.freeze(start):
        outbox.enqueue(kind="intake_link", channel="email", recipient="ana@example.net",
                       content=outbox.Content("Your questionnaire", "x"), patient_id=ana_id)
        db.session.commit()
    with clock.freeze(start + timedelta(minutes=9)):
        assert "not going out" not in client.get("/messages/").text  # a minute's cron is fine
    with clock.freeze(start + timedelta(minutes=10)):
        page = client.get("/messages/").text
        assert "Messages are not going out" in page and "2 waiting since" in page
    with app.app_context(), clock.freeze(start + timedelta(minutes=10)):
        assert sender.run_once().sent == 2  # the link queued before the server was set, too
    with clock.freeze(start + timedelta(minutes=10)):
        assert "not going out" not in client.get("/messages/").text


def test_a_moved_visit_is_told_from_its_old_time_to_the_new(app, tmp_path, smtp):
    """The patient reads which visit moved: its old time, then the new one (email and text)."""
    app.config["SMS_FILE"] = str(tmp_path / "sms.jsonl")
    with app.app_context(), clock.freeze(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)):
        use_smtp(smtp)
        ana = patient_with()
        bo = patient_with("Bo", "bo@example.net", phone="+44 7700 900124",
                          preferred_channel="sms")
        mei = factories.practitioner()
        db.session.commit()
        for who in (ana, bo):
            first = schedule.book(who.id, mei.id, datetime(2026, 12, 7, 9, 30, tzinfo=UTC), 45)
            schedule.reschedule(first, datetime(2026, 12, 8, 9, 0, tzinfo=UTC), 45)
        db.session.commit()
        assert sender.run_once().sent == 4
    import json
    moved_email = [m for m in smtp.inbox.received if "moved" in m["Subject"]]
    assert len(moved_email) == 1
    assert ("Your appointment on Mon 07 Dec 2026, 09:30 has moved. The new time is: "
            "- Tue 08 Dec 2026, 09:00, with") in " ".join(body(moved_email[0]).split())
    texts = [json.loads(line)["text"] for line in
             (tmp_path / "sms.jsonl").read_text().splitlines()]
    assert any("your appointment on Mon 07 Dec 2026, 09:30 has moved to Tue 08 Dec 2026, "
               "09:00." in t for t in texts), texts


def test_reception_can_tell_links_apart_and_is_told_of_the_live_ones(app, client, auth, smtp):
    """Each link on the patient page says where it was emailed; a new link's page says the
    earlier ones still open the same questionnaire."""
    auth.login("reception")
    with app.app_context():
        use_smtp(smtp)
        ana = patient_with()
        db.session.commit()
        ana_id = ana.id
    first = client.post(f"/patients/{ana_id}/intake-links").headers["Location"]
    share = client.get(first).text
    assert "already has" not in share
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', share).group(1)
    client.post(first + "/email", data={"email": "ana@example.net", "token": token})
    second = client.post(f"/patients/{ana_id}/intake-links").headers["Location"]
    assert "already has 1 link that still opens this questionnaire" in client.get(second).text
    page = client.get(f"/patients/{ana_id}").text
    assert page.count("Emailed to ana@example.net (queued") == 1  # the first link only
