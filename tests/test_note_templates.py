"""Clinic note templates: kept in settings by those who manage the clinic (audited), offered
under each SOAP section of the session form, inserted without script by "Insert" with the
rest of the typing kept."""
import re

from sqlalchemy import select

from tests.test_sessions import open_record, payload
from tests.test_sessions import world as world  # noqa: F401  (the fixture)
from tracker.audit.models import AuditEntry
from tracker.extensions import db
from tracker.note_templates import services as note_services
from tracker.note_templates.models import NoteTemplate
from tracker.note_templates.services import insert
from tracker.sessions.models import SessionRecord

URL = "/settings/note-templates/"


def _add(client, section="subjective", label="No change", text="No change since last visit.",
         position="0"):
    return client.post(URL, data={"section": section, "label": label, "text": text,
                                  "position": position})


def _ids(app) -> dict[str, int]:
    with app.app_context():
        return {t.label: t.id for t in db.session.scalars(select(NoteTemplate))}


def test_insert_sets_the_phrase_off_by_a_space():
    assert insert("", "Better.") == "Better."
    assert insert(None, "Better.") == "Better."
    assert insert("Slept well.", "Better.") == "Slept well. Better."
    assert insert("Slept well.\n", "Better.") == "Slept well.\nBetter."
    assert insert("Slept well.", "Better.", at=0) == "Better. Slept well."
    assert insert("ab", "X", at=1) == "a X b"
    assert insert("ab", "X", at=99) == "ab X"


def test_admin_adds_edits_and_removes_a_template_and_each_change_is_audited(app, client, auth):
    auth.login("admin")
    assert "Note templates" in client.get("/settings/").text
    assert _add(client).status_code == 302
    page = client.get(URL).text
    assert "No change since last visit." in page and ">Subjective</h2>" in page
    template_id = _ids(app)["No change"]
    response = client.post(f"{URL}{template_id}", data={
        "section": "objective", "label": "Tongue", "text": "Tongue pale, thin white coat.",
        "position": "2"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(NoteTemplate, template_id)
        assert (row.section, row.label, row.position) == ("objective", "Tongue", 2)
    assert client.post(f"{URL}{template_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(NoteTemplate, template_id) is None
        actions = [e.action for e in db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "NoteTemplate").order_by(AuditEntry.id))]
        assert actions == ["create", "update", "delete"]


def test_bad_input_comes_back_beside_the_field_with_the_typing_kept(app, client, auth):
    auth.login("admin")
    response = _add(client, label="", text="Kept when refused", position="1000")
    assert response.status_code == 400
    assert "Give the phrase a short label." in response.text
    assert "Enter a number between 0 and 999." in response.text
    assert "Kept when refused" in response.text
    response = _add(client, section="nonsense")
    assert response.status_code == 400 and not _ids(app)


def test_only_those_who_manage_settings_keep_the_templates(app, client, auth):
    auth.login("admin")
    _add(client)
    template_id = _ids(app)["No change"]
    auth.logout()
    auth.login("practitioner")
    assert client.get(URL).status_code == 403
    assert _add(client, label="Sneaky").status_code == 403
    assert client.post(f"{URL}{template_id}/delete").status_code == 403
    assert client.post(f"{URL}{template_id}", data={"label": "Sneaky"}).status_code == 403
    assert set(_ids(app)) == {"No change"}


def test_a_practitioner_inserts_a_phrase_without_script_and_keeps_the_typing(
        app, client, world):
    with app.app_context():
        db.session.add_all([
            NoteTemplate(section="subjective", label="No change", text="No change since last "
                         "visit."),
            NoteTemplate(section="plan_notes", label="Continue", text="Continue the plan."),
        ])
        db.session.commit()
    ids = _ids(app)
    session_id, page = open_record(client, world)
    # Offered under its own section only, as buttons for script and a select for none.
    assert re.search(r'data-phrases-for="subjective".*?data-phrase="No change since last '
                     r'visit\."', page, re.S)
    assert 'name="phrase_subjective"' in page and 'name="phrase_objective"' not in page
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, subjective="Slept better.", objective="Typed, not saved", pain_before=None,
        phrase_subjective=str(ids["No change"]), action="phrase:subjective"))
    assert response.status_code == 200
    assert "Slept better. No change since last visit.</textarea>" in response.text
    assert "Typed, not saved</textarea>" in response.text
    assert 'class="error"' not in response.text  # pain before is not asked for yet
    # A phrase of another section is not put here.
    response = client.post(f"/sessions/{session_id}/edit", data=payload(
        page, subjective="Only this", phrase_subjective=str(ids["Continue"]),
        action="phrase:subjective"))
    assert "Only this</textarea>" in response.text
    assert client.post(f"/sessions/{session_id}/edit", data=payload(
        page, action="phrase:version")).status_code == 400
    with app.app_context():
        assert db.session.get(SessionRecord, session_id).subjective == ""


def test_a_new_phrase_left_without_an_order_goes_last_in_its_section(app, client, auth):
    auth.login("admin")
    for label in ("Zeal", "Apple"):  # added in this order; the alphabet would say otherwise
        assert client.post(URL, data={
            "section": "subjective", "label": label, "text": f"{label} phrase."}
        ).status_code == 302
    with app.app_context():
        shown = [t.label for t in note_services.by_section()["subjective"]]
    assert shown[-2:] == ["Zeal", "Apple"]
