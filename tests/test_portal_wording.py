"""What the patient reads on their own page (/me) says what they can see: each chart's sentence
names the measure and the two days it compares, by the one outcome rule (outcome_rule.
PLAIN_LABELS, in words, no percentages); a count of days is labelled in whole days; the request
form asks which visit; a second request for a visit says what it replaced."""
import re
from datetime import time, timedelta

from sqlalchemy import select

from tests import factories
from tests.test_checkins import answer, course, make_link
from tracker import clock
from tracker.checkins import services as checkins
from tracker.clinical import instruments as registry
from tracker.clinical import outcome_rule
from tracker.clinical.outcomes import CHECKIN
from tracker.extensions import db
from tracker.measurements import services as measurements
from tracker.portal.models import VisitRequest
from tracker.templating import date_text


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def day(when) -> str:
    return date_text(clock.local_date(when), year=False)


def worse_week(app, client, auth):
    """The reviewer's course: visits scored 5 then 4 (pain on the day), no weekly pain before
    treatment, a check-in three days ago (average pain 4) and today's (7); a visit booked."""
    user_id = auth.login("practitioner")
    with app.app_context():
        patient = factories.patient("Robin", "Haddad")
        plan = course(patient, user_id, [5, 4], days_ago=10)
        checkins.set_schedule(plan, clock.today().weekday(), checkins.default_measures(), True,
                              db.session.get(factories.User, user_id))
        earlier = clock.to_utc(clock.today() - timedelta(days=3), time(9, 0))
        measurements.write_scores(patient.id, registry.score_answers(
            {"nrs_average_week": 4, "peg_enjoyment": 3, "peg_activity": 3, "sleep": 7,
             "medication_days": 2}, registry.CHECKIN), source=CHECKIN, taken_at=earlier)
        visits = [factories.appointment(patient, user_id, clock.now() + timedelta(days=d),
                                        plan=plan, number=n) for d, n in ((4, 3), (6, 4))]
        db.session.commit()
        ids = {"patient": patient.id, "plan": plan.id, "visits": [v.id for v in visits],
               "earlier": day(earlier)}
    phone = answer(app, make_link(client, ids["plan"]), 7, sleep=4, days=3)
    client.post(f"/patients/{ids['patient']}/own-page", data={"enabled": "1"})
    return ids, phone


def test_each_chart_says_what_it_shows_with_its_measure_and_days(app, client, auth):
    ids, phone = worse_week(app, client, auth)
    page = phone.get("/me").text
    shown = text_of(page)
    with app.app_context():
        today = day(clock.now())
    # Two answers on the weekly charts: a change is shown, never "one more answer".
    assert "one more answer" not in shown
    assert (f"Average pain over the past week: 4 on {ids['earlier']} (in your check-in), then 7 "
            f"on {today} (in your check-in), 3 points higher. "
            f"{outcome_rule.PLAIN_LABELS['worse']}") in shown
    assert "We have no answer from before treatment to compare with." in shown
    # The chart of pain at visits names its own days: no improvement without its dates.
    assert re.search(r"Pain on the day: 5 on \d\d \w{3} \(at your first visit, before "
                     r"treatment\), then 4 on \d\d \w{3} \(at your visit\), 1 point lower\.",
                     shown), shown
    # Grammatical headings; days counted in days, on an axis of whole days.
    assert "Your days you took" not in shown
    assert "Days you took medicine for pain in the past week: 2 on" in shown
    assert "1 day more." in shown
    days_chart = re.search(r'<svg[^>]*>(?:(?!</svg>).)*?Days you took medicine.*?</svg>', page,
                           re.S).group(0)
    ticks = re.findall(r'<text class="axis" x="24"[^>]*>([^<]+)</text>', days_chart)
    assert ticks == ["0", "3", "7"], ticks
    # No percentages or jargon in what the patient reads.
    assert "%" not in shown and "30 %" not in shown


def test_the_patients_words_for_a_change_are_plain():
    for label in outcome_rule.PLAIN_LABELS.values():
        assert "%" not in label and "baseline" not in label.lower(), label
        assert "before treatment" not in label  # the sentence names what is compared


def test_the_request_form_asks_which_visit_and_keeps_the_typing(app, client, auth):
    ids, phone = worse_week(app, client, auth)
    page = phone.get("/me").text
    select_html = re.search(r'<select[^>]*name="appointment".*?</select>', page, re.S).group(0)
    options = re.findall(r'<option([^>]*)>([^<]*)</option>', select_html)
    assert options[0][1] == "Choose a visit" and 'value="0"' in options[0][0]
    assert not any("selected" in attrs for attrs, _ in options)  # no visit chosen for them
    # Cancel and Send without choosing: asked to choose, beside the field; nothing requested.
    for sent in ({"kind": "cancel", "note": "Mornings suit me"},
                 {"appointment": "0", "kind": "cancel", "note": "Mornings suit me"}):
        refused = phone.post("/me/request", data=sent)
        assert refused.status_code == 400
        assert re.search(r'id="appointment-error">Choose a visit\.</p>', refused.text)
        assert "Mornings suit me" in refused.text  # the typing is kept
        assert re.search(r'<input[^>]*checked[^>]*value="cancel"|<input[^>]*value="cancel"'
                         r'[^>]*checked', refused.text)
    with app.app_context():
        assert db.session.scalars(select(VisitRequest)).all() == []
    chosen = phone.post("/me/request", data={"appointment": ids["visits"][1], "kind": "cancel"})
    assert chosen.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(VisitRequest.appointment_id)).all() == [ids["visits"][1]]


def test_a_second_request_for_a_visit_says_it_replaces_the_first(app, client, auth):
    ids, phone = worse_week(app, client, auth)
    visit = ids["visits"][0]
    first = phone.post("/me/request", data={"appointment": visit, "kind": "cancel"},
                       follow_redirects=True)
    assert "reception has your request" in first.text and "earlier request" not in first.text
    second = phone.post("/me/request", data={"appointment": visit, "kind": "move",
                                             "note": "Afternoons"}, follow_redirects=True)
    assert ("Your earlier request to cancel this visit is replaced by this request to move "
            "it.") in text_of(second.text)
    assert "Change of time requested" in second.text
    again = phone.post("/me/request", data={"appointment": visit, "kind": "move",
                                            "note": "Any afternoon"}, follow_redirects=True)
    assert "Your earlier request to move this visit is replaced by this one." in \
        text_of(again.text)
    other = phone.post("/me/request", data={"appointment": ids["visits"][1], "kind": "cancel"},
                       follow_redirects=True)
    assert "earlier request" not in other.text  # another visit: a request of its own
    with app.app_context():
        kept = db.session.scalars(select(VisitRequest).order_by(VisitRequest.id)).all()
        assert [(r.appointment_id, r.kind, r.note) for r in kept] == [
            (visit, "move", "Any afternoon"), (ids["visits"][1], "cancel", "")]
