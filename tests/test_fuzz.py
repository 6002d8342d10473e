"""Hostile input on every form: never a 5xx, rejected input changes nothing, HTML stays escaped.

Forms are discovered from the rendered pages, so a new form on a listed page is fuzzed too."""
import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tracker.extensions import db

HOSTILE = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=3000),
    st.sampled_from([
        "", " ", "\x00", "a\x00b", "\r\n\t", "<script>alert(1)</script>", "\"><img src=x>",
        "'; DROP TABLE patient; --", "%", "_", "\\", "9" * 40, "-1", "1e309", "NaN", "2024-02-30",
        "0000-00-00", "9999-12-31", "1900-01-01", "ｆｕｌｌｗｉｄｔｈ", "🙂" * 30, "ß" * 101,
        "ⓐ@ⓑ.ⓒ", "a@b", "x" * 255 + "@example.org", "../../etc/passwd", "{{7*7}}", "${7*7}",
    ]),
)


class FormFinder(HTMLParser):
    """Collects POST forms: action and the names of their fields."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "get").lower() == "post":
            self._current = {"action": attrs.get("action"), "fields": set()}
            self.forms.append(self._current)
        elif (tag in ("input", "select", "textarea") and self._current is not None
              and attrs.get("name") not in (None, "csrf_token")):
            self._current["fields"].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def forms_on(client, url):
    finder = FormFinder()
    finder.feed(client.get(url).data.decode())
    return [(form["action"] or url, sorted(form["fields"])) for form in finder.forms]


def row_counts() -> dict[str, int]:
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in db.metadata.sorted_tables
            if t.name not in ("audit_entry", "throttle_event", "login_session")}


PAGES = ["/patients/new", "/users/new", "/settings/", "/account/"]


def _plan_pages(app, user_id: int) -> list[str]:
    """Plan and schedule forms need a patient with an active plan and an appointment."""
    from datetime import date, time, timedelta

    from tests import factories
    from tracker import clock
    with app.test_request_context():
        patient = factories.patient("Fuzz", "Target", date(1980, 1, 1))
        plan = factories.plan(patient, user_id, conditions="Neck pain", weekdays=[0, 3],
                              start_time=time(10), start_on=clock.today() - timedelta(days=7),
                              sessions_planned=6, reeval_every=3)
        _, booked = factories.book_course(plan, "keep", when=clock.now() - timedelta(days=8),
                                          user_id=user_id)
        appt = min(booked, key=lambda a: a.starts_at)
        db.session.commit()
        p, a = patient.id, appt.id
        return [f"/plans/patients/{p}/assessments/new", f"/plans/patients/{p}/new",
                f"/plans/{plan.id}/edit", f"/plans/{plan.id}", f"/plans/{plan.id}/schedule",
                f"/schedule/appointments/{a}", f"/schedule/appointments/{a}/reschedule",
                f"/schedule/patients/{p}/appointments/new", "/schedule/closures",
                f"/schedule/hours/{user_id}"]


def _fuzz_pages(app, client, auth) -> list[tuple[str, list[str]]]:
    user_id = auth.login("admin")
    targets = []
    for url in PAGES + _plan_pages(app, user_id):
        targets.extend(form for form in forms_on(client, url) if not form[0].endswith("/logout"))
    assert len(targets) >= len(PAGES)
    return targets


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_forms_survive_hostile_input(app, client, auth, data):
    if not getattr(client, "_fuzz_targets", None):
        client._fuzz_targets = _fuzz_pages(app, client, auth)
    action, fields = data.draw(st.sampled_from(client._fuzz_targets))
    payload = {}
    for name in fields:
        choice = data.draw(st.integers(0, 5))
        if choice == 0:
            continue  # missing field
        values = data.draw(st.lists(HOSTILE, min_size=1, max_size=2 if choice == 1 else 1))
        payload[name] = values if len(values) > 1 else values[0]
    with app.app_context():
        before = row_counts()
    response = client.post(action, data=payload)
    assert response.status_code < 500, (action, payload)
    if response.status_code >= 400:
        with app.app_context():
            assert row_counts() == before, (action, payload)


@pytest.mark.parametrize("payload", ["<script>alert('x')</script>",
                                     "\"><img src=x onerror=alert(1)>"])
def test_html_in_patient_fields_is_escaped_everywhere(app, client, auth, payload):
    auth.login("admin")
    response = client.post("/patients/new", data={
        "given_name": payload, "family_name": payload[:90], "date_of_birth": "1980-01-01",
        "sex": "unknown", "primary_practitioner_id": "0", "notes": payload,
        "referring_physician": payload, "address": payload})
    assert response.status_code == 302
    location = response.headers["Location"]
    for url in (location, "/patients/", f"{location}/edit", "/audit/", "/?q=x"):
        page = client.get(url).data.decode()
        assert payload not in page, url
        if url != "/?q=x" and url != "/audit/":
            assert html.escape(payload[:20], quote=True)[:10] in page or re.search(
                r"&lt;|&#34;|&quot;", page), url


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=HOSTILE, password=HOSTILE, name=HOSTILE)
def test_public_forms_survive_hostile_input(app, client, email, password, name):
    """The setup page (before any account exists) and the login page (after)."""
    with app.app_context():
        before = row_counts()
    response = client.post("/setup", data={"email": email, "display_name": name,
                                           "password": password, "confirm": password})
    assert response.status_code < 500
    if response.status_code != 302:
        with app.app_context():
            assert row_counts() == before
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code < 500
