"""Treatment summary (page, PDF, chart) and the clinic outcomes dashboard."""
import io
import re
from datetime import date, timedelta
from statistics import median

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import make_user, statements_for
from tests.test_fuzz import HOSTILE
from tracker.audit.models import AuditEntry
from tracker.clinical import outcome_rule, outcomes
from tracker.clinical.instruments import REGISTRY
from tracker.extensions import db
from tracker.measurements.models import Measurement
from tracker.patients import services as patient_services
from tracker.plans.models import TreatmentPlan
from tracker.reports import dashboard
from tracker.reports import demo as reports_demo
from tracker.sessions.models import SessionRecord


@pytest.fixture
def demo(app):
    """The demo patient of the issue: ten sessions, NRS 7 at intake, 3 at the latest visit."""
    make_user(app, "practitioner", "mei@example.org", display_name="Mei Lin",
              credentials="L.Ac.", licence_number="AC-20817")
    with app.app_context():
        from tracker.accounts.services import find_by_email
        patient = reports_demo.seed_demo(find_by_email("mei@example.org"))
        db.session.commit()
        plan_id = db.session.scalar(select(TreatmentPlan.id).where(
            TreatmentPlan.patient_id == patient.id))
        return {"patient_id": patient.id, "plan_id": plan_id}


def summary_url(demo, suffix="", **params):
    query = "&".join(f"{k}={v}" for k, v in ({"plan": demo["plan_id"]} | params).items())
    return f"/reports/patients/{demo['patient_id']}/summary{suffix}?{query}"


def audit_actions(app):
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action)))


def test_summary_shows_baseline_latest_percent_and_category(client, auth, demo):
    auth.login("practitioner", "mei@example.org")
    page = client.get(summary_url(demo))
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", "", page.text)
    text = re.sub(r"\s+", " ", text)
    assert "baseline 7, latest 3 (57 % reduction): Substantial improvement" in text
    assert "Riverside Family Practice" in text            # referring physician
    assert "Mei Lin, L.Ac.; licence AC-20817" in text     # practitioner and licence
    assert "10 of 10 planned sessions attended" in text
    assert "Kidney yang deficiency" in text               # TCM diagnosis
    assert "BL23" in text and "Bruising" in text and "Much improved" in text
    assert "style=" not in page.text and "<style" not in page.text
    least = text.split("Least pain, past 7 days (NRS 0-10)")[1][:60]
    assert "Not measured again yet" in least and "+0" not in least  # asked at intake only


def test_chart_matches_the_sessions(client, auth, app, demo):
    auth.login("practitioner", "mei@example.org")
    svg = client.get(summary_url(demo)).text.split('<svg class="chart pain-chart"')[1]
    svg = svg.split("</svg>")[0]
    before = [float(v) for v in re.findall(r'class="point-before"[^>]*data-value="([\d.]+)"',
                                           svg)]
    after = [float(v) for v in re.findall(r'class="point-after"[^>]*data-value="([\d.]+)"', svg)]
    with app.app_context():
        records = db.session.scalars(select(SessionRecord).order_by(SessionRecord.number)).all()
        assert before == [r.pain_before for r in records]
        assert after == [r.pain_after for r in records]
    assert re.findall(r'class="reeval" data-session="(\d+)"', svg) == ["6", "10"]
    assert "<title" in svg and "<desc" in svg and "Baseline 7" in svg and "Goal 3" in svg
    # Lower pain is drawn higher up the page... the other way round: y grows downwards.
    ys = [float(y) for y in re.findall(r'class="point-before"[^>]*cy="([\d.]+)"', svg)]
    assert ys[0] < ys[-1]


def test_pdf_downloads_with_the_same_figures_and_is_audited(client, auth, app, demo):
    auth.login("practitioner", "mei@example.org")
    response = client.get(summary_url(demo, ".pdf"))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    assert "baseline 7, latest 3 (57 % reduction)" in text
    assert "Substantial improvement" in text and "Grace Holloway" in text
    fonts = {str(f.get_object()["/BaseFont"]) for p in reader.pages
             for f in p["/Resources"]["/Font"].values()}
    assert any("DejaVu" in f for f in fonts), fonts  # the offline font, not a fallback
    assert "summary_pdf_download" in audit_actions(app)


def test_printing_the_page_is_audited(client, auth, app, demo):
    auth.login("practitioner", "mei@example.org")
    client.get(summary_url(demo))
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "summary_print")).one()
        assert entry.patient_id == demo["patient_id"] and entry.changes["version"] == "clinical"


def test_patient_version_speaks_plainly(client, auth, demo):
    auth.login("practitioner", "mei@example.org")
    page = client.get(summary_url(demo, version="patient")).text
    assert "Your pain on the day went from" in page and "57 %" in page
    assert "ICD-10" not in page and "IMMPACT" not in page and "Clinic reference" not in page


@pytest.mark.parametrize("suffix", ["", ".pdf"])
def test_reception_cannot_print_clinical_summaries(client, auth, app, demo, suffix):
    auth.login("reception")
    assert client.get(summary_url(demo, suffix)).status_code == 403
    page = client.get(f"/patients/{demo['patient_id']}").text
    assert "Summaries and exports" not in page
    assert "summary_print" not in audit_actions(app)


def test_patient_page_links_to_the_summaries(client, auth, demo):
    auth.login("practitioner", "mei@example.org")
    page = client.get(f"/patients/{demo['patient_id']}").text
    assert "Summaries and exports" in page
    assert f"summary.pdf?plan={demo['plan_id']}" in page
    assert "pain now 7 → 3 out of 10 (57 % reduction), substantial improvement" in page


def test_date_range_summary_and_bad_requests(client, auth, app, demo):
    auth.login("practitioner", "mei@example.org")
    with app.app_context():
        days = db.session.scalars(select(SessionRecord.visit_on)
                                  .order_by(SessionRecord.visit_on)).all()
        other = patient_services.save(None, {"given_name": "Ola", "family_name": "Berg",
                                             "date_of_birth": days[0]})
        db.session.commit()
        other_id = other.id
    base = f"/reports/patients/{demo['patient_id']}/summary"
    page = client.get(f"{base}?start={days[0]}&end={days[4]}")
    assert page.status_code == 200 and "5 sessions" in page.text
    assert client.get(f"{base}?start={days[4]}&end={days[0]}").status_code == 400
    assert client.get(f"{base}?start=yesterday").status_code == 400
    assert client.get(f"{base}?end=9999-12-31").status_code == 400
    assert client.get(f"{base}?start=0001-01-01").status_code == 400
    assert client.get(f"{base}?version=insurer").status_code == 400
    # A plan belongs to its own patient only.
    assert client.get(f"/reports/patients/{other_id}/summary?plan={demo['plan_id']}"
                      ).status_code == 404
    assert client.get(f"{base}?plan=999999").status_code == 404
    assert client.get(f"{base}?plan={'9' * 40}").status_code == 400  # beyond any integer column
    assert client.get(f"/reports/patients/{'9' * 40}/summary").status_code == 404


def hand_count(app):
    """Responders at visits 6 and 10 and at discharge, plan by plan, with the outcome engine."""
    with app.app_context():
        result = {6: [0, 0], 10: [0, 0], "discharge": [0, 0]}
        firsts = []
        for plan in db.session.scalars(select(TreatmentPlan).where(
                TreatmentPlan.status != "draft")):
            rows = db.session.execute(
                select(Measurement, SessionRecord.number).join(
                    SessionRecord, SessionRecord.id == Measurement.session_id)
                .where(SessionRecord.plan_id == plan.id, Measurement.instrument == "nrs",
                       Measurement.time_frame == "now")
                .order_by(Measurement.taken_at)).all()
            if not rows:
                continue
            first_at = rows[0][0].taken_at
            # The course's baseline: an intake at most 30 days (the default window) before
            # the first session, else that session's own score, which never responds itself.
            intakes = db.session.scalars(select(Measurement).where(
                Measurement.patient_id == plan.patient_id, Measurement.source == "intake",
                Measurement.instrument == "nrs", Measurement.time_frame == "now",
                Measurement.taken_at <= first_at,
                Measurement.taken_at >= first_at - timedelta(days=30))
                .order_by(Measurement.taken_at)).all()
            baseline = intakes[-1].value if intakes else rows[0][0].value
            first_id = rows[0][0].id

            def responds(m, baseline=baseline, first_id=first_id):
                return m.id != first_id and outcome_rule.classify(
                    REGISTRY["nrs_now"], baseline, m.value).responder

            for m, number in rows:
                if number in (6, 10):
                    result[number][1] += 1
                    result[number][0] += responds(m)
            if plan.status in ("completed", "discontinued"):
                result["discharge"][1] += 1
                result["discharge"][0] += responds(rows[-1][0])
            hits = [n for m, n in rows if responds(m)]
            if hits:
                firsts.append(min(hits))
        return result, (median(firsts) if firsts else None)


def test_dashboard_responder_rate_equals_a_hand_count_on_the_demo(app, client, auth):
    from tracker.demo import seed
    with app.app_context():
        seed(patients=30)
    auth.login("admin", "boss@example.org")
    counted, median_first = hand_count(app)
    with app.app_context():
        d = dashboard.compute()
    got = {r.label: (r.part, r.whole) for r in d.responders}
    assert got == {"Visit 6": tuple(counted[6]), "Visit 10": tuple(counted[10]),
                   "Discharge": tuple(counted["discharge"])}
    assert counted[6][1] > 0 and counted["discharge"][1] > 0  # the demo is not empty
    assert d.median_to_response == median_first
    page = client.get("/reports/outcomes")
    assert page.status_code == 200
    rate6 = outcomes.percent_text(outcomes.rate(*counted[6]))
    assert f"<td class=\"rate\">{rate6}</td>" in page.text
    assert 'id="responder-chart"' in page.text


def test_dashboard_filters_and_sql_aggregates(app, client, auth, demo):
    auth.login("admin")
    with app.app_context():
        mei = db.session.scalar(select(TreatmentPlan.practitioner_id))
        statements = []
        from sqlalchemy import event
        event.listen(db.engine, "before_cursor_execute",
                     lambda *a, **k: statements.append(1))
        d = dashboard.compute(practitioner_id=mei)
        fixed = len(statements)
    assert {r.label: r.caption for r in d.responders} == {
        "Visit 6": "1 of 1", "Visit 10": "1 of 1", "Discharge": "1 of 1"}
    assert d.median_to_response == 6      # 7 -> 5 is 29 %; 7 -> 4 at session 6 is the first 30 %
    assert d.ae_per_100 == 10.0 and d.attendance_rate == 100.0
    assert fixed <= 8                      # aggregates, not a query per plan
    page = client.get("/reports/outcomes?condition=migraine").text
    assert "0 treatment plans" in page and "no data" in page
    assert client.get("/reports/outcomes?start=2026-05-01&end=2026-01-01").status_code == 400
    assert client.get("/reports/outcomes?practitioner=abc").status_code == 400


def test_dashboard_rows_follow_every_kind_of_change(app):
    """Each plan's stored outcome row is recomputed in the transaction that changes what it is
    made of, so the dashboard always equals a count from scratch."""
    from sqlalchemy import delete

    from tracker.demo import seed
    from tracker.reports.models import PlanOutcome
    from tracker.schedule.models import Appointment
    from tracker.sessions.models import AdverseEvent

    def figures():
        d = dashboard.compute()
        return ([(r.part, r.whole) for r in d.responders], d.median_to_response, d.responded,
                d.plans,
                d.with_baseline, d.appointments, d.attended, d.no_show, d.sessions,
                d.adverse_events)

    def from_scratch():
        db.session.execute(delete(PlanOutcome))
        db.session.commit()
        return figures()

    with app.app_context():
        seed(patients=12)
        before = figures()
        assert before == from_scratch()
        record = db.session.scalar(select(SessionRecord).where(SessionRecord.number == 6)
                                   .order_by(SessionRecord.id))
        def pain_at_six():  # undo or make its response at visit 6
            value = 10 if db.session.get(PlanOutcome, record.plan_id).resp_6 else 0
            db.session.scalar(select(Measurement).where(
                Measurement.session_id == record.id, Measurement.instrument == "nrs",
                Measurement.time_frame == "now")).value = value

        def baseline_of_one():  # nobody can drop two points from 1
            for m in db.session.scalars(select(Measurement).where(
                    Measurement.source == "intake", Measurement.instrument == "nrs",
                    Measurement.patient_id == record.patient_id)):
                m.value = 1

        changes = [
            pain_at_six,
            lambda: db.session.add(AdverseEvent(session_id=record.id, kind="bruising")),
            lambda: setattr(db.session.scalar(select(Appointment).where(
                Appointment.status == "attended").order_by(Appointment.id)), "status",
                "no_show"),
            lambda: setattr(db.session.get(TreatmentPlan, record.plan_id), "status",
                            "discontinued"),
            baseline_of_one,
        ]
        seen = [before]
        for change in changes:
            change()
            db.session.commit()
            incremental = figures()
            assert incremental == from_scratch(), change
            seen.append(incremental)
        assert len({repr(f) for f in seen}) == len(seen)  # every change moved a figure


def test_dashboard_after_an_upgrade_counts_plans_a_few_seconds_at_a_time(app, client, auth,
                                                                         monkeypatch):
    """Plans without an outcome row (an upgraded clinic, or a bulk load) are counted batch by
    batch when the page is read; until then the page says how many are left out."""
    from sqlalchemy import delete

    from tracker.demo import seed
    from tracker.reports import plan_outcomes
    from tracker.reports.models import PlanOutcome
    with app.app_context():
        seed(patients=12)
        full = dashboard.compute()
        db.session.execute(delete(PlanOutcome))
        db.session.commit()
    auth.login("admin", "boss@example.org")
    real = plan_outcomes.fill_missing
    monkeypatch.setattr(dashboard.plan_outcomes, "fill_missing",
                        lambda seconds=None: real(seconds=0 if seconds else None, batch=2))
    first = client.get("/reports/outcomes").text
    assert f"Still counting {full.plans - 2} plans" in first  # one batch of two per view
    monkeypatch.setattr(dashboard.plan_outcomes, "fill_missing", real)
    second = client.get("/reports/outcomes").text
    assert "Still counting" not in second
    assert f"{full.plans} treatment plans ({full.with_baseline} with pain scores)" in second
    result = app.test_cli_runner().invoke(args=["rebuild-outcomes"])
    assert result.exit_code == 0 and f"recounted for {full.plans} plans" in result.output


def test_summary_and_patient_page_queries_do_not_grow_with_the_record(app, client, auth, demo):
    """More adverse events and sessions on the record: the same number of SQL statements."""
    from tracker.sessions.models import AdverseEvent
    auth.login("practitioner", "mei@example.org")

    def statements(url):
        return statements_for(app, client, url)[0]

    urls = [summary_url(demo), f"/patients/{demo['patient_id']}"]
    before = [statements(u) for u in urls]
    with app.app_context():
        for record in db.session.scalars(select(SessionRecord).where(
                SessionRecord.patient_id == demo["patient_id"]).limit(4)):
            db.session.add(AdverseEvent(session_id=record.id, kind="bruising"))
        db.session.commit()
    page = client.get(summary_url(demo)).text
    assert page.count("Bruising") + page.count("bruising") >= 4
    assert [statements(u) for u in urls] == before


def test_reception_sees_no_outcomes(client, auth, demo):
    auth.login("reception")
    assert client.get("/reports/outcomes").status_code == 403
    assert "/reports/outcomes" not in client.get("/").text


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(st.sampled_from(["plan", "start", "end", "version", "condition",
                                               "practitioner", "pseudonymised"]), HOSTILE,
                              max_size=4))
def test_hostile_query_strings_never_break_reports(client, auth, demo, params):
    if not getattr(client, "_logged_in", False):
        auth.login("admin")
        client._logged_in = True
    for path in (f"/reports/patients/{demo['patient_id']}/summary", "/reports/outcomes",
                 "/exports/sessions.csv"):
        response = client.get(path, query_string=params)
        assert response.status_code in (200, 400, 404), (path, params, response.status_code)


def test_the_letterhead_is_the_clinic_the_admin_configured(client, auth, demo):
    from tests.test_settings_and_cli import SETTINGS
    auth.login("admin")
    assert client.post("/settings/", data=SETTINGS | {
        "name": "Harbour Acupuncture", "address": "1 Quay Street\nPortside",
        "phone": "+44 20 7946 0999"}).status_code == 302
    page = client.get(summary_url(demo)).text
    assert "Harbour Acupuncture" in page and "1 Quay Street" in page and "+44 20 7946 0999" in page
    reader = PdfReader(io.BytesIO(client.get(summary_url(demo, ".pdf")).data))
    assert "Harbour Acupuncture" in reader.pages[0].extract_text()


def test_range_summary_shows_the_plan_as_it_stood_then(client, auth, app, demo):
    from datetime import datetime

    from tracker.plans import services as plan_services
    from tracker.plans.models import PlanVersion
    with app.app_context():
        days = db.session.scalars(select(SessionRecord.visit_on)
                                  .order_by(SessionRecord.visit_on)).all()
        for version in db.session.scalars(select(PlanVersion)):
            version.valid_from = datetime.combine(days[0], datetime.min.time())
        plan = db.session.get(TreatmentPlan, demo["plan_id"])
        plan_services.save_plan(plan, plan.patient_id, plan.practitioner_id, {
            "points": [{"point": "ST36", "side": "left"}]})
        db.session.commit()
    auth.login("practitioner", "mei@example.org")
    then = client.get(f"/reports/patients/{demo['patient_id']}/summary"
                      f"?start={days[0]}&end={days[-1]}").text
    assert "BL23, BL40, GV4, KI3" in then and "ST36" not in then
    assert "Chronic low back pain (M54.5)" in then and "Kidney yang deficiency" in then
    today = client.get(f"/reports/patients/{demo['patient_id']}/summary"
                       f"?start={days[0]}&end={date.today()}").text
    assert "ST36 (left)" in today


def test_a_licensed_scale_total_shows_in_the_summary(client, auth, app, demo):
    auth.login("practitioner", "mei@example.org")
    with app.app_context():
        days = db.session.scalars(select(SessionRecord.visit_on)
                                  .order_by(SessionRecord.visit_on)).all()
    url = f"/reports/patients/{demo['patient_id']}/scores/new"
    assert "Total score" in client.get(url).text
    hit6 = {"name": "HIT-6", "scale_min": "36", "scale_max": "78", "direction": "lower"}
    before = client.post(url, data=hit6 | {"score": "64", "taken_on": str(days[0] - timedelta(
        days=2))})
    assert before.status_code == 302
    client.post(url, data=hit6 | {"score": "52", "taken_on": str(days[-1])})
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(summary_url(demo)).text))
    row = page.split("HIT-6 (36-78, lower is better)")[1][:120]
    assert re.match(r"\s*64 .*52 .*-12 .*Better than baseline", row), row
    # The patient's version says what it is in words, not the scale's abbreviation.
    mine = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ",
                                      client.get(summary_url(demo, version="patient")).text))
    assert "HIT-6" not in mine
    assert "Another questionnaire you answered with your practitioner" in mine
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "Measurement", AuditEntry.action == "create")
            .order_by(AuditEntry.id.desc())).first()
        assert entry.changes["label"] == "HIT-6" and entry.changes["value"] == 52


@pytest.mark.parametrize(("change", "message"), [
    ({"score": "90"}, "between 36 and 78"),
    ({"scale_max": "30"}, "must be above the lowest"),
    ({"score": "nan"}, "Enter a number"),
    ({"name": ""}, "Name the instrument"),
    ({"taken_on": "2999-01-01"}, "cannot be in the future"),
])
def test_bad_scores_are_refused_beside_the_field(client, auth, app, demo, change, message):
    auth.login("practitioner", "mei@example.org")
    data = {"name": "HIT-6", "score": "60", "scale_min": "36", "scale_max": "78",
            "direction": "lower", "taken_on": str(date.today())} | change
    response = client.post(f"/reports/patients/{demo['patient_id']}/scores/new", data=data)
    assert response.status_code == 400 and message in response.text
    with app.app_context():
        assert not db.session.scalars(select(Measurement).where(
            Measurement.instrument == "other")).all()


def test_scores_need_a_clinician_and_a_csrf_token(make_app, demo):
    from tests.conftest import PASSWORD, Client, csrf_token
    csrf_app = make_app(WTF_CSRF_ENABLED=True)
    csrf_app.test_client_class = Client
    client = csrf_app.test_client()
    make_user(csrf_app, "reception", "desk@example.org")
    url = f"/reports/patients/{demo['patient_id']}/scores/new"
    data = {"name": "HIT-6", "score": "60", "scale_min": "36", "scale_max": "78",
            "direction": "lower", "taken_on": str(date.today())}

    def login(email):
        token = csrf_token(client.get("/login").text)
        client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})

    login("desk@example.org")
    assert client.get(url).status_code == 403
    assert client.post(url, data=data).status_code in (400, 403)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").text)})
    login("mei@example.org")
    assert client.post(url, data=data).status_code == 400          # no token
    token = csrf_token(client.get(url).text)
    assert client.post(url, data=data | {"csrf_token": token}).status_code == 302


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.dictionaries(st.sampled_from(["name", "score", "scale_min", "scale_max",
                                                "direction", "taken_on"]), HOSTILE))
def test_hostile_scores_never_break_the_form(client, auth, app, demo, payload):
    if not getattr(client, "_logged_in", False):
        auth.login("practitioner", "mei@example.org")
        client._logged_in = True
    response = client.post(f"/reports/patients/{demo['patient_id']}/scores/new", data=payload)
    assert response.status_code in (302, 400)
    with app.app_context():
        for m in db.session.scalars(select(Measurement).where(Measurement.instrument == "other")):
            assert m.scale_min <= m.value <= m.scale_max and m.label.strip()


def test_range_without_sessions_compares_entered_scores(client, auth, app, demo):
    auth.login("practitioner", "mei@example.org")
    url = f"/reports/patients/{demo['patient_id']}/scores/new"
    odi = {"name": "ODI", "scale_min": "0", "scale_max": "100", "direction": "lower"}
    today = date.today()
    client.post(url, data=odi | {"score": "40", "taken_on": str(today - timedelta(days=20))})
    client.post(url, data=odi | {"score": "22", "taken_on": str(today - timedelta(days=1))})
    page = client.get(f"/reports/patients/{demo['patient_id']}/summary"
                      f"?start={today - timedelta(days=10)}&end={today}").text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert re.search(r"ODI \(0-100, lower is better\)\s+40 .*22 .*-18 .*Better than baseline",
                     text)
    assert "0 sessions" in text or "None recorded in 0 sessions" in text
