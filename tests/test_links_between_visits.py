"""Messages kept true to what they point at: a cancelled visit set back to scheduled is confirmed
again (the schedule's one calendar file, the same UID, a higher SEQUENCE) and reminded again;
a check-in link remade while its message still waits goes out as the new link, never the dead
one."""
from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from tests import factories
from tests.mail_server import use_smtp
from tests.test_checkins import course
from tracker import clock
from tracker.checkins import services as checkins
from tracker.extensions import db
from tracker.messages import notify, outbox, sender
from tracker.messages.models import OutboundMessage
from tracker.schedule import services as schedule

VISIT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # Monday 10:00 in London


def event_of(msg):
    [part] = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content()).walk("VEVENT")[0]


def test_a_restored_visit_is_confirmed_again_and_reminded_again(app, smtp):
    with app.app_context():
        use_smtp(smtp)
        mei = factories.practitioner()
        patient = factories.patient(email="ana@example.net")
        with clock.freeze(VISIT - timedelta(days=3)):
            appt = schedule.book(patient.id, mei.id, VISIT, 45)
            db.session.commit()
            assert sender.run_once().sent == 1
        with clock.freeze(VISIT - timedelta(hours=24)):  # the reminder's time
            assert sender.run_once().reminders == 1
            schedule.act(appt, "cancelled_patient", "Away")
            db.session.commit()
            schedule.act(appt, "scheduled")
            db.session.commit()
            run = sender.run_once()
            assert (run.sent, run.reminders) == (3, 1)  # cancelled, booked again, reminder
            again = schedule.calendar_entries(patient.id)[0]
        subjects = [m["Subject"].split(":")[0] for m in smtp.inbox.received]
        assert subjects == ["Your appointment is booked", "Reminder",
                            "Your appointment is cancelled", "Your appointment is booked",
                            "Reminder"]
        first, cancelled, restored = (event_of(smtp.inbox.received[i]) for i in (0, 2, 3))
        assert str(first["UID"]) == str(cancelled["UID"]) == str(restored["UID"])
        assert (first["SEQUENCE"], cancelled["SEQUENCE"], restored["SEQUENCE"]) == (0, 1, 2)
        assert str(restored["STATUS"]) == "CONFIRMED"
        assert (again.sequence, again.cancelled) == (2, False)  # the patient's .ics agrees
        # Cancelled and set back again: higher still, and a third reminder.
        with clock.freeze(VISIT - timedelta(hours=23)):
            schedule.act(appt, "cancelled_clinic", "Ill")
            db.session.commit()
            schedule.act(appt, "scheduled")
            db.session.commit()
            assert sender.run_once().sent == 3
        assert [event_of(m)["SEQUENCE"] for m in smtp.inbox.received[5:7]] == [3, 4]


def test_a_reminder_queued_before_a_cancel_and_restore_goes_once(app, smtp):
    with app.app_context():
        use_smtp(smtp)
        mei = factories.practitioner()
        patient = factories.patient(email="ana@example.net", preferred_channel="email")
        appt = factories.appointment(patient, mei, VISIT, status="scheduled")
        db.session.commit()
        with clock.freeze(VISIT - timedelta(hours=24)):
            assert notify.queue_due_reminders() == 1
            schedule.act(appt, "cancelled_patient", "Away")
            schedule.act(appt, "scheduled")
            db.session.commit()
            run = sender.run_once()
        kinds = {(m.kind, m.status) for m in db.session.scalars(select(OutboundMessage))}
        assert ("reminder", "withdrawn") in kinds and ("reminder", "sent") in kinds
        assert [m["Subject"].split(":")[0] for m in smtp.inbox.received].count("Reminder") == 1
        assert run.reminders == 1


def test_a_link_remade_while_its_message_waits_goes_out_as_the_new_link(app, client, auth, smtp):
    user_id = auth.login("practitioner")
    with app.app_context():
        patient = factories.patient(email="ana@example.org")
        plan = course(patient, user_id, [6], days_ago=3)
        today = clock.today()
        checkins.set_schedule(plan, today.weekday(), ["nrs_average_week"], True, None)
        db.session.commit()
        plan_id = plan.id
        due = clock.to_utc(today, checkins.SEND_HOUR) + timedelta(hours=1)
    with clock.freeze(due):
        with app.app_context():
            use_smtp(smtp)
            [made] = checkins.checkins_due(db.session, due)
            db.session.commit()
            old = made.token
        page = client.post(f"/plans/{plan_id}/checkin/link")  # staff remake it: old one dead
        new = page.text.split("https://localhost/c/", 1)[1].split('"', 1)[0]
        assert new != old
        with app.app_context():
            messages = db.session.scalars(select(OutboundMessage).order_by(
                OutboundMessage.id)).all()
            assert [(m.kind, m.status) for m in messages] == [("checkin", "withdrawn"),
                                                              ("checkin", "queued")]
            assert messages[0].body_sealed == ""
            assert f"/c/{new}" in outbox.open_content(messages[1]).text
            assert sender.run_once().sent == 1
    [message] = smtp.inbox.received
    text = message.get_body(("plain",)).get_content()
    assert f"/c/{new}" in text and f"/c/{old}" not in text
    assert app.test_client().get(f"/c/{old}").status_code == 404
    assert app.test_client().get(f"/c/{new}").status_code == 302


def test_a_message_claimed_with_a_replaced_link_is_withdrawn_not_sent(app, smtp):
    """The last guard: whatever path left a message with a dead link, the sender drops it."""
    with app.app_context():
        use_smtp(smtp)
        outbox.enqueue(kind="checkin", channel="email", recipient="ana@example.org",
                       content=outbox.Content("Check-in", "https://localhost/c/gone"),
                       dedupe_key=checkins.message_key("0" * 64))
        db.session.commit()
        run = sender.run_once()
    assert (run.sent, run.withdrawn) == (0, 1) and smtp.inbox.received == []
