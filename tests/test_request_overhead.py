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
