"""Answers a patient might give, step by step, and a helper to walk the whole intake."""
import re

from tracker.clinical import safety

VALID = {
    "about": {"given_name": "Amélie", "family_name": "Dubois", "date_of_birth": "1970-05-04",
              "phone": "+44 7700 900123", "email": "amelie@example.net", "address": "1 Lane",
              "emergency_contact_name": "Jo Dubois", "emergency_contact_phone": "07700 900124",
              "family_doctor": "Dr Marsh"},
    "pain": {"complaint": "Low back pain down my left leg", "conditions": ["sciatica"],
             "pain_duration": "1y5y", "regions": ["lower_back", "hip_l", "upper_leg_l"],
             "nrs_now": "6", "nrs_average_week": "6", "nrs_worst_week": "8",
             "nrs_least_week": "3", "peg_enjoyment": "7", "peg_activity": "5",
             "medication_days": "4", "medication_for_pain": "ibuprofen",
             "better_with": "walking", "worse_with": "sitting"},
    "sleep": {"sleep": "4", "phq2_1": "2", "phq2_2": "1", "gad2_1": "1", "gad2_2": "0"},
    "health": {"medical_history": "asthma", "medications-0-name": "Warfarin",
               "medications-0-dose": "5 mg", "medications-0-how_often": "daily",
               "allergies": "none"},
    "safety": {**{f"safety_{i.code}": "no" for i in safety.SAFETY_ITEMS},
               **{f"red_{f.code}": "no" for f in safety.RED_FLAGS},
               "safety_bleeding": "yes", "safety_bleeding_detail": "warfarin"},
    "goals": {"goals": "Walk the dog for an hour"},
    "consent": {"consent_name": "Amélie Dubois", "consent_date": "2026-01-05", "agree": "y"},
}
ORDER = ["about", "pain", "sleep", "health", "safety", "goals", "consent"]


def answers(**changes) -> dict:
    data = {step: dict(values) for step, values in VALID.items()}
    for step, values in changes.items():
        data[step].update(values)
    return data


def link_token(client, patient_id: int) -> str:
    """Create a link as the logged-in staff member; returns the token from the share page."""
    response = client.post(f"/patients/{patient_id}/intake-links", follow_redirects=True)
    assert response.status_code == 200, response.text
    match = re.search(r'value="https://localhost/i/([A-Za-z0-9_-]+)"', response.text)
    assert match, "link not shown"
    return match.group(1)


def reception_link(client, auth, patient_id: int, *, opened: bool = False) -> str:
    """A link reception made (logged out again afterwards); `opened`: the patient's browser
    has opened it, so the token is its cookie."""
    auth.login("reception")
    value = link_token(client, patient_id)
    auth.logout()
    if opened:
        open_link(client, value)
    return value


def open_link(client, token: str):
    """Open the link as the patient's browser does: the token is swapped for a cookie and the
    form continues on /intake/<step>. Returns the redirect."""
    response = client.get(f"/i/{token}")
    assert response.status_code == 302 and "/intake/" in response.headers["Location"], (
        response.status_code, response.text[:500])
    return response


def fill(client, token: str, data: dict | None = None, upto: str = "send"):
    """Open the link, then post each step in order; returns the last response. upto="send"
    (the default) posts every step and then "Send" on the review page; upto="consent" stops at
    the review page, before sending."""
    data = data or answers()
    open_link(client, token)
    response = None
    for step in ORDER[: ORDER.index(upto) + 1 if upto in ORDER else None]:
        response = client.post(f"/intake/{step}", data=data[step])
        assert response.status_code == 302, (step, response.text[:3000])
    if upto == "send":
        response = client.post("/intake/review")
        assert response.status_code == 302, response.text[:3000]
    return response
