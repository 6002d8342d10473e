"""Every endpoint against every role: the server, not the menu, decides who may do what.

Each staff view declares its permission with @require; this walks the URL map with real ids
(a patient with an intake, flags, a plan, an appointment and a session) and checks that a role
without the permission gets 403 on GET and POST, and a role with it is let through. The roles
come from the permission table, so a new role is checked by adding it there."""
import re
from datetime import date

import pytest

from tests import factories
from tests.conftest import Client, make_user
from tests.intake_helpers import fill, link_token
from tracker.accounts.models import ROLES, User
from tracker.extensions import db
from tracker.patients import services as patient_services
from tracker.permissions import (
    OVERSEES_CLINIC,
    ROLE_PERMISSIONS,
    TREATS_PATIENTS,
    own_diary_id,
    own_practitioner_id,
    role_can,
    roles_with,
    treats_patients,
)
from tracker.reports import dashboard

PUBLIC = {"static", "auth.login", "auth.setup", "main.healthz", "main.readyz", "account.login_code",
          "account.idle"}
PUBLIC_PREFIXES = ("intake_public.", "checkin_public.", "portal_public.")
# Logged-in pages every role may use (no permission beyond being signed in): logout and each
# person's own account (password, two-factor login), staying signed in and getting back a form
# held while signed out (accounts/held.py: only its own sender's).
ANY_STAFF = {"auth.logout", "account.index", "account.password", "account.two_factor_start",
             "account.two_factor_confirm", "account.two_factor_off", "account.recovery_codes",
             "account.keep_alive", "auth.resume"}
ALL_ROLES = sorted(ROLE_PERMISSIONS)


@pytest.fixture
def ids(app, client, auth):
    """One of every record, so URLs carry ids that exist."""
    user_id = auth.login("admin")
    with app.app_context():
        patient_id = factories.patient("Robin", "Haddad", date(1970, 1, 1)).id
        db.session.commit()
    token = link_token(client, patient_id)
    fill(client, token)
    with app.app_context():
        plan = factories.plan_row(patient_id, user_id, sessions_planned=6, points=())
        appointment = factories.appointment(patient_id, user_id, plan=plan, number=1)
        factories.opened_session(appointment, user_id, pain_before=5)
        db.session.commit()
    auth.logout()
    return {"token": token}


def urls(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint.startswith(PUBLIC_PREFIXES):
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", "1", rule.rule)
        for method in sorted(rule.methods & {"GET", "POST"}):
            yield rule.endpoint, method, url


def test_every_staff_endpoint_declares_a_permission(app):
    missing = [e for e, _, _ in urls(app) if e not in ANY_STAFF and not getattr(
        app.view_functions[e], "required_permission", None)]
    assert not missing, missing


def test_every_role_a_user_can_hold_is_in_the_permission_table():
    assert set(ROLES) == set(ROLE_PERMISSIONS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_role_matrix_over_every_endpoint(app, client, auth, ids, role):
    auth.login(role, email=f"matrix-{role}@example.org")
    granted = ROLE_PERMISSIONS[role]
    checked = 0
    for endpoint, method, url in urls(app):
        if endpoint in ANY_STAFF:
            continue
        needed = app.view_functions[endpoint].required_permission
        response = client.open(url, method=method, data={})
        assert response.status_code < 500, (endpoint, method, response.status_code)
        if needed in granted:
            assert response.status_code != 403, (role, endpoint, method)
        else:
            assert response.status_code == 403, (role, endpoint, method, response.status_code)
        checked += 1
    assert checked > 40


def test_an_intake_link_reaches_only_its_own_form(app, ids):
    holder = app.test_client()
    holder.__class__ = Client
    assert holder.get(f"/i/{ids['token']}", follow_redirects=True).status_code == 200
    for url in ("/", "/patients/", "/patients/1", "/intakes/", "/intakes/1", "/sessions/1",
                "/audit/"):
        response = holder.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    # Changing the token does not reach another record, and reveals nothing.
    other = ids["token"][:-1] + ("A" if ids["token"][-1] != "A" else "B")
    assert holder.get(f"/i/{other}").status_code == 404


@pytest.mark.parametrize("role", ALL_ROLES)
def test_who_treats_patients_comes_from_the_permission_table(app, client, auth, role):
    """Practitioner lists, working hours, default practitioner and the diary a page opens on all
    follow the "treats patients" permission, never a role name."""
    treats = TREATS_PATIENTS in ROLE_PERMISSIONS[role]
    user_id = make_user(app, role, f"who-{role}@example.org")
    with app.app_context():
        user = db.session.get(User, user_id)
        assert treats_patients(user) == treats == (role in roles_with(TREATS_PATIENTS))
        assert own_practitioner_id(user) == (user_id if treats else None)
        assert own_diary_id(user) == (user_id if treats and not role_can(role, OVERSEES_CLINIC)
                                      else None)
        assert (user_id in {u.id for u in patient_services.practitioners()}) == treats
        assert (user_id in {u.id for u in dashboard.practitioners()}) == treats
        diary = own_diary_id(user)
    auth.login("admin", email="who-admin-viewer@example.org")
    assert client.get(f"/schedule/hours/{user_id}").status_code == (200 if treats else 404)
    auth.logout()
    auth.login(role, email=f"who-{role}@example.org")
    location = client.get("/schedule/").headers["Location"]
    assert location.endswith(f"/schedule/week?practitioner={user_id}" if diary
                             else "/schedule/clinic"), location


def test_the_three_meanings_hold_for_todays_roles():
    """What the old role comparisons meant, now spelled as permissions."""
    assert roles_with(TREATS_PATIENTS) == ("admin", "practitioner")
    assert roles_with(OVERSEES_CLINIC) == ("admin",)
    assert not role_can("reception", TREATS_PATIENTS) and not role_can(None, TREATS_PATIENTS)
