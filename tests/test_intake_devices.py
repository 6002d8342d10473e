"""One private link opened on two devices (phone A, phone B): each shows only what was typed on
it (a link alone must not read answers), and nothing typed on one is erased by a save from the
other that never saw it. B's untouched page posts back what it showed (empty fields, the
register's prefill); only what B types changes an answer A gave."""
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import Client
from tests.intake_helpers import ORDER, answers, fill, open_link, reception_link
from tracker.extensions import db
from tracker.intake.models import Intake, IntakeInvitation
from tracker.timeutil import utcnow

KEPT = "given on another device"
SENT = "Answers given on another device are included when you send"


@pytest.fixture
def patient_id(app):
    with app.app_context():
        made = factories.patient("Amélie", "Dubois", date(1970, 5, 4), address="9 Old Road")
        db.session.commit()
        return made.id


@pytest.fixture
def token(client, auth, patient_id):
    return reception_link(client, auth, patient_id)


def phone(app, address):
    made = app.test_client()
    made.__class__ = Client
    made.environ_base.update({"REMOTE_ADDR": address})
    return made


class _Fields(HTMLParser):
    """What a browser posts for the step form as shown, untouched."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "textarea" and name:
            self._textarea = name
            self.values.setdefault(name, [""])
        elif tag == "input" and name and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a:
                    self.values.setdefault(name, []).append(a.get("value") or "y")
            else:
                self.values.setdefault(name, []).append(a.get("value") or "")

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] = [self.values[self._textarea][0] + data]

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def shown(client, code: str) -> tuple[dict, str]:
    page = client.get(f"/intake/{code}")
    assert page.status_code == 200, page.text[:500]
    parser = _Fields()
    parser.feed(page.text[page.text.index("<form method=\"post\""):])
    for name, values in parser.values.items():  # a textarea's leading newline is not its value
        parser.values[name] = [v.removeprefix("\r").removeprefix("\n") for v in values]
    return parser.values, page.text


def post(client, code: str, values: dict, **typed):
    response = client.post(f"/intake/{code}", data={**values, **typed})
    assert response.status_code in (302, 410), response.text[:2000]
    return response


def draft(app) -> dict:
    with app.app_context():
        return db.session.scalars(select(Intake)).one().draft


def test_a_save_on_b_keeps_what_a_typed_and_b_never_saw(app, token):
    a, b = phone(app, "10.0.0.5"), phone(app, "10.0.0.6")
    fill(a, token, upto="about")  # A: emergency contact Jo Dubois, family doctor Dr Marsh
    open_link(b, token)
    values, page = shown(b, "about")
    assert "Jo Dubois" not in page and "Dr Marsh" not in page  # the privacy rule holds
    assert KEPT in page  # B is told, in one line, that answers from elsewhere are kept
    assert values["emergency_contact_name"] == [""] and values["given_name"] == ["Amélie"]
    post(b, "about", values, address="2 New Street")
    about = draft(app)["about"]
    assert about["emergency_contact_name"] == ["Jo Dubois"]
    assert about["family_doctor"] == ["Dr Marsh"]
    assert about["address"] == ["2 New Street"]
    # Back on A: what A typed is still there (B's address is B's: A sees the prefill).
    values, page = shown(a, "about")
    assert values["emergency_contact_name"] == ["Jo Dubois"]
    assert values["family_doctor"] == ["Dr Marsh"]
    assert "2 New Street" not in page
    # A saves its page untouched: B's address stays; B saves untouched: A's answers stay.
    post(a, "about", values)
    values, _ = shown(b, "about")
    assert values["address"] == ["2 New Street"]
    assert "Jo Dubois" not in str(values)
    post(b, "about", values)
    about = draft(app)["about"]
    assert (about["emergency_contact_name"], about["family_doctor"], about["address"]) == (
        ["Jo Dubois"], ["Dr Marsh"], ["2 New Street"])


def test_a_deliberate_clearing_on_a_clears(app, token):
    a, b = phone(app, "10.0.0.5"), phone(app, "10.0.0.6")
    fill(a, token, upto="about")
    open_link(b, token)
    values, _ = shown(b, "about")
    post(b, "about", values, address="2 New Street")
    values, _ = shown(a, "about")
    post(a, "about", values, family_doctor="", emergency_contact_name="")
    about = draft(app)["about"]
    assert about["family_doctor"] == [""] and about["emergency_contact_name"] == [""]
    assert about["address"] == ["2 New Street"]
    values, _ = shown(a, "about")
    assert values["family_doctor"] == [""]


def test_b_typing_a_new_value_replaces_a_hidden_one(app, token):
    a, b = phone(app, "10.0.0.5"), phone(app, "10.0.0.6")
    fill(a, token, upto="about")
    open_link(b, token)
    values, _ = shown(b, "about")
    post(b, "about", values, family_doctor="Dr Wood")
    assert draft(app)["about"]["family_doctor"] == ["Dr Wood"]
    assert draft(app)["about"]["emergency_contact_name"] == ["Jo Dubois"]


def test_the_intake_b_sends_holds_a_and_b_answers_once(app, token):
    a, b = phone(app, "10.0.0.5"), phone(app, "10.0.0.6")
    data = answers(goals={"goals": "Walk the dog for an hour", "what_helped": "heat"})
    fill(a, token, data, upto="goals")
    open_link(b, token)
    # B goes through every step as shown, adding an address and a medicine of its own.
    for code in ORDER[:-1]:
        values, page = shown(b, code)
        assert "Walk the dog" not in page and "Warfarin" not in page
        typed = {"about": {"address": "2 New Street"},
                 "health": {"medications-0-name": "Ibuprofen"}}.get(code, {})
        post(b, code, values, **typed)
    values, _ = shown(b, "consent")
    post(b, "consent", values, **data["consent"])
    review = b.get("/intake/review")
    assert review.status_code == 200
    assert SENT in review.text  # B is told A's answers go too, without seeing them
    assert "Walk the dog" not in review.text and "Jo Dubois" not in review.text
    assert "Answered on another device" in review.text
    # A presses Send too, from its own review page: one submission only.
    assert b.post("/intake/review").status_code == 302
    assert a.post("/intake/review").status_code in (200, 302)
    with app.app_context():
        intake = db.session.scalars(select(Intake)).one()
        assert intake.status == "submitted"
        assert intake.goals == "Walk the dog for an hour" and intake.what_helped == "heat"
        assert intake.emergency_contact_name == "Jo Dubois"
        assert intake.family_doctor == "Dr Marsh"
        assert intake.address == "2 New Street"
        assert intake.complaint == data["pain"]["complaint"]
        assert [m.name for m in intake.medications] == ["Warfarin", "Ibuprofen"]
        assert {r.code for r in intake.regions} == set(data["pain"]["regions"])
        assert {(x.code, x.answer) for x in intake.answers
                if x.kind == "safety"} >= {("bleeding", "yes")}


def test_ticked_boxes_on_b_add_to_those_ticked_on_a(app, token):
    a, b = phone(app, "10.0.0.5"), phone(app, "10.0.0.6")
    fill(a, token, upto="pain")
    open_link(b, token)
    values, _ = shown(b, "pain")
    assert "regions" not in values  # nothing ticked on B's page
    post(b, "pain", {**values, "regions": ["neck"]})
    pain = draft(app)["pain"]
    assert pain["regions"] == ["lower_back", "hip_l", "upper_leg_l", "neck"]
    assert pain["complaint"] == ["Low back pain down my left leg"]


def test_a_save_on_an_expired_link_keeps_both(app, token):
    a, b = phone(app, "10.0.0.5"), phone(app, "10.0.0.6")
    fill(a, token, upto="about")
    open_link(b, token)
    values, _ = shown(b, "about")
    with app.app_context():
        db.session.scalars(select(IntakeInvitation)).one().expires_at = (
            utcnow() - timedelta(seconds=1))
        db.session.commit()
    assert post(b, "about", values, address="2 New Street").status_code == 410
    about = draft(app)["about"]
    assert about["emergency_contact_name"] == ["Jo Dubois"]
    assert about["address"] == ["2 New Street"]


def test_autosave_from_b_keeps_what_a_typed(app, token):
    a, b = phone(app, "10.0.0.5"), phone(app, "10.0.0.6")
    fill(a, token, upto="goals")
    open_link(b, token)
    values, _ = shown(b, "goals")
    assert b.post("/intake/goals/save", data={**values, "what_helped": "rest"}).json == {
        "saved": True}
    goals = draft(app)["goals"]
    assert goals["goals"] == ["Walk the dog for an hour"] and goals["what_helped"] == ["rest"]


def test_a_send_from_b_never_spells_out_a_answers_in_its_messages(app, token):
    """Walls review: B (say reception, who saw the token) typed worst pain 0 over A's hidden
    answers and pressed Send; the messages were written from every answer ("your least pain
    (3) is higher than your worst pain (0)"). B is told to check its answer, not A's values."""
    a, b = phone(app, "10.0.0.5"), phone(app, "10.0.0.6")
    fill(a, token, answers(), upto="consent")  # least 3, average 6, worst 8 on A
    open_link(b, token)
    b.post("/intake/pain", data={"nrs_worst_week": "0"})  # kept, as anything typed is
    sent = b.post("/intake/review")
    assert sent.status_code == 400
    assert "(3)" not in sent.text and "(6)" not in sent.text
    assert "it does not fit" in sent.text
    with app.app_context():
        assert db.session.scalars(select(Intake)).one().status != "submitted"
