"""Every read of clinical content leaves an audit entry (plans and their dated versions,
assessments, session edit and amend forms, the session timeline, the intake link pages), and so
does a clinician taking over a colleague's drafted session record."""
from datetime import date

import pytest
from sqlalchemy import select

from tests import factories
from tests.intake_helpers import fill, link_token
from tracker.audit.models import AuditEntry
from tracker.extensions import db
from tracker.plans.models import Assessment


@pytest.fixture
def world(app):
    with app.app_context():
        mei = factories.practitioner("mei@example.org")
        ana = factories.patient()
        plan = factories.plan(ana, mei)
        _, visits = factories.book_course(plan)
        signed = factories.signed_session(ana, mei, visits[0])
        draft = factories.opened_session(visits[1], mei, subjective="sore")
        assessment = Assessment(patient_id=ana.id, practitioner_id=mei.id,
                                assessed_on=date(2026, 1, 5), western_diagnosis="Lumbago")
        db.session.add(assessment)
        db.session.commit()
        return {"mei": mei.id, "ana": ana.id, "plan": plan.id, "signed": signed.id,
                "draft": draft.id, "assessment": assessment.id}


def views(app, **where):
    with app.app_context():
        stmt = select(AuditEntry).where(AuditEntry.action == where.pop("action", "view"))
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditEntry, name) == value)
        return db.session.scalars(stmt.order_by(AuditEntry.id)).all()


@pytest.mark.parametrize(("url", "entity", "key"), [
    ("/plans/{plan}", "TreatmentPlan", "plan"),
    ("/plans/{plan}?at=2026-01-01", "TreatmentPlan", "plan"),
    ("/plans/{plan}/edit", "TreatmentPlan", "plan"),
    ("/plans/assessments/{assessment}", "Assessment", "assessment"),
    ("/plans/assessments/{assessment}/edit", "Assessment", "assessment"),
    ("/sessions/{draft}/edit", "SessionRecord", "draft"),
    ("/sessions/{signed}/amend", "SessionRecord", "signed"),
    ("/patients/{ana}/sessions", "SessionTimeline", "ana"),
])
def test_each_clinical_read_is_audited(app, client, auth, world, url, entity, key):
    auth.login("practitioner", email="mei@example.org")
    response = client.get(url.format(**world))
    assert response.status_code == 200, response.status_code
    entries = views(app, entity=entity, entity_id=str(world[key]))
    assert len(entries) == 1, url
    assert entries[0].patient_id == world["ana"]
    assert entries[0].user_email == "mei@example.org"
    if "?at=" in url:
        assert entries[0].changes["version_at"] == "2026-01-01"


def test_link_pages_are_audited_as_the_link(app, client, auth, world):
    auth.login("reception")
    token = link_token(client, world["ana"])
    auth.logout()
    fill(client, token, upto="pain")
    client.get("/intake/pain")
    with app.app_context():
        from tracker.intake.models import IntakeInvitation
        invitation = db.session.scalars(select(IntakeInvitation)).one()
    opened = views(app, action="open", entity="IntakeInvitation")
    assert [e.entity_id for e in opened] == [str(invitation.id)]
    read = views(app, entity="Intake", entity_id=str(invitation.intake_id))
    assert [e.changes["step"] for e in read] == ["pain"]
    assert read[0].user_email == f"patient (intake link {invitation.id})"
    assert read[0].patient_id == world["ana"]


def test_taking_over_a_colleagues_draft_is_recorded_once(app, client, auth, world):
    auth.login("practitioner", email="mei@example.org")
    assert client.post(f"/sessions/{world['draft']}/autosave",
                       data={"subjective": "mine"}).status_code == 200
    assert views(app, action="takeover") == []  # her own record
    auth.logout()
    jo = auth.login("practitioner", email="jo@example.org")
    for typed in ("Jo typing", "Jo typing more"):
        assert client.post(f"/sessions/{world['draft']}/autosave",
                           data={"subjective": typed}).status_code == 200
    taken = views(app, action="takeover")
    assert len(taken) == 1
    assert taken[0].entity_id == str(world["draft"]) and taken[0].user_id == jo
    assert taken[0].changes == {"practitioner_id": [world["mei"], jo]}
    assert taken[0].patient_id == world["ana"]
