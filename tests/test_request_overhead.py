"""Per-request shortcuts (issue 17) show what the long way showed."""
from sqlalchemy import select

from tracker.extensions import db


def test_patient_page_headline_is_the_summary_headline_for_every_plan(app, client):
    """The patient page's line at a glance comes from summary.headline_of, the letter's own
    headline without the rest of the letter: the same outcome for every plan of the demo clinic
    (completed, active, with and without sessions and check-ins)."""
    from tracker.demo import DEMO_PASSWORD, STAFF, seed
    from tracker.patients.models import Patient
    from tracker.plans.models import TreatmentPlan
    from tracker.reports import summary
    with app.app_context():
        seed()
        db.session.commit()
        plans = db.session.scalars(select(TreatmentPlan)).all()
        assert len(plans) > 5
        shown = 0
        for plan in plans:
            patient = db.session.get(Patient, plan.patient_id)
            full, quick = summary.build(patient, plan).headline, summary.headline_of(patient, plan)
            assert (quick is None) == (full is None), plan.id
            if full is not None:
                shown += 1
                assert (quick.instrument, quick.time_frame, quick.baseline.value,
                        quick.latest.value, quick.change.percent, quick.label) == (
                    full.instrument, full.time_frame, full.baseline.value, full.latest.value,
                    full.change.percent, full.label), plan.id
        assert shown  # some course has a headline to compare
        # The page shows the newest plan's headline.
        lines = {}
        for patient_id in sorted({p.patient_id for p in plans}):
            newest = summary.plans_of(patient_id)[0]
            found = summary.headline_of(db.session.get(Patient, patient_id), newest)
            lines.setdefault(found is not None, (patient_id, found))
    assert True in lines
    client.post("/login", data={"email": STAFF[0][0], "password": DEMO_PASSWORD})
    patient_id, line = lines[True]
    page = client.get(f"/patients/{patient_id}").text
    assert ('<p class="headline">' in page and f"{line.short.lower()} {line.baseline.value:g}"
            in page.replace(".0 ", " "))


def _badges(html: str) -> dict[str, str | None]:
    import re
    found = {}
    for name in ("Intakes", "Requests"):
        link = re.search(">" + name + "(.*?)</a>", html)  # None: no link at all
        badge = link and re.search(r'class="badge nav-count"><span class="sr-only">, </span>'
                                   r'(\d+)<', link.group(1))
        found[name] = None if link is None else badge.group(1) if badge else ""
    return found


def test_nav_badges_come_from_one_statement_for_what_the_role_may_see(app, client, auth):
    """Every page's badges (intakes awaiting review, patients' visit requests) in one statement,
    counting only what the user may see: reception never counts intakes."""
    import sqlalchemy as sa

    from tests import factories
    from tests.conftest import statements_seen
    from tracker.portal.models import VisitRequest
    with app.test_request_context():
        mei = factories.practitioner()
        ana = factories.patient()
        factories.submitted_intake(ana)
        visit = factories.appointment(ana, mei)
        db.session.add(VisitRequest(patient_id=ana.id, appointment_id=visit.id, kind="cancel"))
        db.session.commit()

    def page(role: str) -> tuple[dict, list[str]]:
        auth.login(role, f"{role}-badges@example.org")
        seen, html = statements_seen(app, client, "/patients/")
        auth.logout()
        counting = [s for s in seen if "count(*)" in s and ("FROM intake " in s
                                                            or "FROM visit_request " in s)]
        return _badges(html), counting

    badges, counting = page("admin")
    assert badges == {"Intakes": "1", "Requests": "1"}
    assert len(counting) == 1 and "FROM visit_request" in counting[0]
    badges, counting = page("reception")
    assert badges == {"Intakes": None, "Requests": "1"}
    assert len(counting) == 1 and "FROM intake " not in counting[0]
    with app.app_context():  # nothing waiting: no badge, the link stays
        db.session.execute(sa.update(VisitRequest).values(status="done"))
        db.session.commit()
    assert page("reception")[0] == {"Intakes": None, "Requests": ""}


def test_login_lookup_brings_the_clinic_settings_fresh_on_every_request(app, client, auth):
    """The settings row comes with the login's own statement (no statement of its own), read
    anew by every request: a change saved elsewhere shows on the next page; with no row saved
    yet, the defaults."""
    import sqlalchemy as sa

    from tests.conftest import statements_for, statements_seen
    from tracker.settings.models import ClinicSettings
    from tracker.settings.services import get_settings
    auth.login("admin")
    _, html = statements_for(app, client, "/account/")
    assert 'data-idle-seconds="900"' in html  # IDLE_TIMEOUT_MINUTES, no row saved yet
    with app.app_context():
        row = get_settings()
        row.idle_timeout_minutes = 30
        db.session.add(row)
        db.session.commit()
    seen, html = statements_seen(app, client, "/account/")
    assert 'data-idle-seconds="1800"' in html
    assert not [s for s in seen if s.lstrip().startswith("SELECT clinic_settings.")]
    assert sum("FROM login_session" in s and "clinic_settings" in s for s in seen) == 1
    with app.app_context():
        db.session.execute(sa.update(ClinicSettings).values(idle_timeout_minutes=5))
        db.session.commit()
    assert 'data-idle-seconds="300"' in client.get("/account/").text
