"""The reception wall by workflow, for links between visits: a check-in link opens the patient's
answers and (with their own page on) their progress, so reception may neither switch the own
page on nor, by changing the patient's email or phone, send the next check-in to an address of
its choosing. Its change holds every message carrying such a link until a clinician confirms
the address; bookings and reminders carry nothing clinical and go on as before."""
from datetime import timedelta

from sqlalchemy import select

from tests import factories
from tests.mail_server import use_smtp
from tests.test_checkins import course
from tracker import clock
from tracker.audit.models import AuditEntry
from tracker.checkins import services as checkins
from tracker.extensions import db
from tracker.messages import sender
from tracker.messages.models import ContactCheck, OutboundMessage
from tracker.portal import services as portal
from tracker.schedule import services as schedule

THIEF = "someone.else@example.net"


def edit_data(email: str, phone: str = "") -> dict:
    return {"given_name": "Ana", "family_name": "Silva", "date_of_birth": "1970-05-06",
            "sex": "female", "phone": phone, "email": email, "primary_practitioner_id": "0",
            "preferred_channel": "email"}


def checkins_on(app, auth, *, own_page=True) -> tuple[int, object]:
    """A patient in a course with a weekly check-in due today (and their own page on); returns
    the patient's id and the moment this week's check-in is due."""
    user_id = auth.login("practitioner")
    with app.app_context():
        patient = factories.patient("Ana", "Silva", email="ana@example.org", sex="female")
        plan = course(patient, user_id, [6], days_ago=3, average=7)
        today = clock.today()
        checkins.set_schedule(plan, today.weekday(), checkins.default_measures(), True,
                              db.session.get(factories.User, user_id))
        if own_page:
            portal.set_page(patient, True, None)
        db.session.commit()
        due = clock.to_utc(today, checkins.SEND_HOUR) + timedelta(hours=1)
        patient_id = patient.id
    auth.logout()
    return patient_id, due


def run(app, smtp):
    with app.app_context():
        use_smtp(smtp)
        db.session.commit()
        return sender.run_once()


def links_to(smtp, address: str) -> list:
    return [m for m in smtp.inbox.received if address in m["To"]
            and "/c/" in m.get_body(("plain",)).get_content()]


def test_receptions_new_email_gets_no_checkin_link_until_a_clinician_confirms(
        app, client, auth, smtp):
    patient_id, due = checkins_on(app, auth)
    auth.login("reception", "desk@example.org")
    assert client.post(f"/patients/{patient_id}/edit", data=edit_data(THIEF)).status_code == 302
    page = client.get(f"/patients/{patient_id}").text
    assert "New email to confirm" in page and "Confirm the new address" not in page
    with clock.freeze(due), app.app_context():
        # A booking is no clinical content: it still reaches the new address.
        practitioner = db.session.scalars(select(factories.User).where(
            factories.User.email == "practitioner@example.org")).one()
        schedule.book(patient_id, practitioner.id, clock.now() + timedelta(days=9), 45)
        db.session.commit()
        first = run(app, smtp)  # the week's check-in falls due; the sender runs
    assert first.checkins == 1 and first.held == 1
    assert links_to(smtp, THIEF) == [] and links_to(smtp, "ana@example.org") == []
    assert [m["To"] for m in smtp.inbox.received] == [THIEF]  # the booking confirmation
    with app.app_context():
        held = db.session.scalars(select(OutboundMessage).where(
            OutboundMessage.kind == "checkin")).one()
        assert (held.status, held.recipient) == ("held", THIEF)
    with clock.freeze(due + timedelta(minutes=5)):  # held stays held, run after run
        assert run(app, smtp).sent == 0
    assert links_to(smtp, THIEF) == []

    # Reception cannot confirm its own change.
    assert client.post(f"/patients/{patient_id}/contact/confirm").status_code == 403
    auth.logout()
    auth.login("practitioner")
    page = client.get(f"/patients/{patient_id}").text
    assert "New email to confirm" in page and "Confirm the new address" in page
    assert THIEF in page
    with clock.freeze(due + timedelta(minutes=10)):
        confirmed = client.post(f"/patients/{patient_id}/contact/confirm")
        assert confirmed.status_code == 302
        assert "Confirm the new address" not in client.get(f"/patients/{patient_id}").text
        assert run(app, smtp).sent == 1
    [link] = links_to(smtp, THIEF)
    assert "/c/" in link.get_body(("plain",)).get_content()
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "ContactCheck", AuditEntry.action == "update")).one()
        assert entry.user_email == "practitioner@example.org"
        assert "confirmed_at" in entry.changes
        opened = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "ContactCheck", AuditEntry.action == "create")).one()
        assert opened.user_email == "desk@example.org"


def test_receptions_new_phone_holds_a_text_message_link_too(app, client, auth, smtp):
    patient_id, due = checkins_on(app, auth, own_page=False)
    auth.login("reception")
    data = edit_data("", "+44 7700 900999") | {"preferred_channel": "sms"}
    assert client.post(f"/patients/{patient_id}/edit", data=data).status_code == 302
    with app.app_context():
        assert db.session.get(ContactCheck, patient_id).fields == "email, phone"
    with clock.freeze(due):
        assert run(app, smtp).held == 1


def test_reception_switches_nothing_on_and_a_clinicians_own_change_needs_no_confirming(
        app, client, auth, smtp):
    patient_id, due = checkins_on(app, auth, own_page=False)
    auth.login("reception")
    page = client.get(f"/patients/{patient_id}").text
    # Reception is told who can, not invited to press a switch it does not have.
    assert "A practitioner can switch it on" in page and "page on</button>" not in page
    assert client.post(f"/patients/{patient_id}/own-page",
                       data={"enabled": "1"}).status_code == 403
    auth.logout()
    auth.login("practitioner")
    assert "Switch the patient&#39;s page on</button>" in client.get(f"/patients/{patient_id}").text
    new = "ana.new@example.org"
    assert client.post(f"/patients/{patient_id}/edit", data=edit_data(new)).status_code == 302
    assert "to confirm" not in client.get(f"/patients/{patient_id}").text
    with clock.freeze(due):
        assert run(app, smtp).sent == 1
    assert len(links_to(smtp, new)) == 1
    with app.app_context():
        assert not portal.has_page(patient_id)


def test_a_change_while_no_link_is_live_asks_nothing_until_check_ins_are_switched_on(
        app, client, auth, smtp):
    """No check-ins, no own page: reception edits the address as any front desk does and
    nobody is asked anything. Switched on later, the check-in link still waits for a clinician
    to confirm the address reception typed (walls review: it went to it)."""
    auth.login("reception")
    with app.app_context():
        patient = factories.patient("Ana", "Silva", email="ana@example.org", sex="female")
        db.session.commit()
        patient_id = patient.id
    assert client.post(f"/patients/{patient_id}/edit", data=edit_data(THIEF)).status_code == 302
    auth.logout()
    user_id = auth.login("practitioner")
    assert "Confirm the new address" not in client.get(f"/patients/{patient_id}").text
    with app.app_context():
        plan = course(db.session.get(factories.Patient, patient_id), user_id, [6], days_ago=3,
                      average=7)
        today = clock.today()
        checkins.set_schedule(plan, today.weekday(), checkins.default_measures(), True,
                              db.session.get(factories.User, user_id))
        db.session.commit()
        due = clock.to_utc(today, checkins.SEND_HOUR) + timedelta(hours=1)
    assert "Confirm the new address" in client.get(f"/patients/{patient_id}").text
    with clock.freeze(due):
        run(app, smtp)
    assert links_to(smtp, THIEF) == []
    client.post(f"/patients/{patient_id}/contact/confirm")
    with clock.freeze(due):
        assert run(app, smtp).sent == 1
    assert len(links_to(smtp, THIEF)) == 1  # the clinician vouched for it
