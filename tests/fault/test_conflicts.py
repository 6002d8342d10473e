"""Conflicts that keep the text: two clinicians saving (or signing) the same session record at the
same instant get one save and one 409 page with both versions of the text, never a 500; two
intake tabs posting different steps at the same instant keep both steps."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import PASSWORD, Client
from tests.fault.formdata import at_once
from tests.intake_helpers import VALID, link_token, open_link
from tests.test_sessions import payload
from tracker.extensions import db
from tracker.intake.models import Intake
from tracker.plans.models import TreatmentPlan
from tracker.sessions.models import SessionRecord

ROUNDS = 4


@pytest.fixture
def world(app):
    with app.app_context():
        mei = factories.practitioner("mei@example.org")
        factories.practitioner("li@example.org", display_name="Li Wei")
        patient = factories.patient("Hannah", "Eriksen", date(1975, 1, 2))
        plan = factories.plan_row(patient, mei, points=[("BL23", "bilateral")])
        appointment = factories.appointment(patient, mei, plan=plan, number=4)
        db.session.commit()
        return {"patient": patient.id, "appointment": appointment.id, "plan": plan.id,
                "user": mei.id}


def login(app, email: str, address: str = "10.0.0.1") -> Client:
    app.test_client_class = Client
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": address})
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
def two(app, world):
    return login(app, "mei@example.org"), login(app, "li@example.org", "10.0.0.2")


def _open(client, world) -> int:
    response = client.post(f"/appointments/{world['appointment']}/session")
    assert response.status_code == 302, response.status_code
    return int(re.search(r"/sessions/(\d+)/edit", response.headers["Location"]).group(1))


def test_opening_the_record_twice_at_once_makes_one(app, world, two):
    first, second = at_once(*(lambda c=c: c.post(f"/appointments/{world['appointment']}/session")
                              for c in two))
    assert first.status_code == second.status_code == 302, (first.text[:300], second.text[:300])
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SessionRecord)) == 1


def test_two_saves_at_once_give_one_save_and_a_409_with_both_texts(app, world, two):
    session_id = _open(two[0], world)
    url = f"/sessions/{session_id}/edit"
    for n in range(ROUNDS):
        pages = [c.get(url).text for c in two]
        texts = [f"Notes by Mei, round {n}", f"Notes by Li, round {n}"]
        responses = at_once(*(
            lambda c=c, p=p, t=t: c.post(url, data=payload(p, subjective=t, action="save"))
            for c, p, t in zip(two, pages, texts, strict=True)))
        codes = sorted(r.status_code for r in responses)
        assert codes == [302, 409], (n, codes)
        conflict = next(r for r in responses if r.status_code == 409)
        loser = texts[responses.index(conflict)]
        winner = texts[1 - responses.index(conflict)]
        # The loser's typing is on the page, and so is what the other clinician saved.
        assert loser in conflict.text and winner in conflict.text
        assert "Someone else saved this record" in conflict.text
        with app.app_context():
            assert db.session.get(SessionRecord, session_id).subjective == winner


def test_a_double_submitted_sign_signs_once_and_never_answers_500(app, world, two):
    for n in range(ROUNDS):
        with app.app_context():
            plan = db.session.get(TreatmentPlan, world["plan"])
            # Visits 1, 2, 3 and 5 of ten: none is a re-evaluation (every sixth, and the last).
            appointment = factories.appointment(world["patient"], world["user"], plan=plan,
                                                number=(1, 2, 3, 5)[n])
            db.session.commit()
            world = world | {"appointment": appointment.id}
        session_id = _open(two[0], world)
        url = f"/sessions/{session_id}/edit"
        page = two[0].get(url).text
        data = payload(page, subjective="Signed once", action="sign")
        # The same tap twice (one browser) and two clinicians signing: each at the same instant.
        clients = (two[0], two[0]) if n % 2 else two
        responses = at_once(*(lambda c=c, u=url, d=data: c.post(u, data=d) for c in clients))
        codes = [r.status_code for r in responses]
        assert 500 not in codes and 302 in codes and set(codes) <= {302, 409}, codes
        for r in responses:
            if r.status_code == 409:
                assert "Signed once" in r.text and "signed since" in r.text
        with app.app_context():
            record = db.session.get(SessionRecord, session_id)
            assert record.signed and record.subjective == "Signed once"


def test_two_intake_tabs_posting_different_steps_at_once_keep_both(app, world, two):
    pairs = [("about", "pain"), ("sleep", "health"), ("safety", "goals"), ("pain", "sleep")]
    for round_no, steps in enumerate(pairs * 2):
        token = link_token(two[0], world["patient"])
        tabs = [login(app, "mei@example.org"), login(app, "mei@example.org")]
        for tab in tabs:  # one patient, two tabs: each opened the same link
            open_link(tab, token)
        responses = at_once(*(
            lambda t=t, s=s: t.post(f"/intake/{s}", data=VALID[s] | {"action": "back"})
            for t, s in zip(tabs, steps, strict=True)))
        assert [r.status_code for r in responses] == [302, 302], round_no
        with app.app_context():
            intake = db.session.scalars(select(Intake).order_by(Intake.id.desc())).first()
            kept = set(intake.draft or {})
            assert set(steps) <= kept, (round_no, steps, sorted(kept))
