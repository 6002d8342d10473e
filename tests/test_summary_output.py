"""Summaries that read well (issue 16, item 5): the patient's version in plain words, no page
holding the signature alone, one date style everywhere, the clinic's logo on letters."""
import io
import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import make_user
from tracker.audit.models import AuditEntry
from tracker.clinical.conditions import without_codes
from tracker.clinical.instruments import REGISTRY
from tracker.extensions import db
from tracker.measurements import services as measurements
from tracker.plans.models import TreatmentPlan
from tracker.reports import demo as reports_demo
from tracker.settings.models import ClinicLogo, ClinicSettings
from tracker.templating import DATE_STYLES, date_text

ICD10_ANYWHERE = re.compile(r"\b[A-TV-Z][0-9][0-9AB](?:\.[0-9A-TV-Z]{1,4})?\b")


def abbreviations() -> set[str]:
    """Every instrument's abbreviation, read from the registry itself (its staff name and short
    label: NRS, PEG-3, PHQ-2, GAD-2, PGIC, WPI, SSS ...), so a new instrument is covered."""
    found = set()
    for instrument in REGISTRY.values():
        found |= set(re.findall(r"\b[A-Z]{2,}(?:-\d+)?\b", f"{instrument.name} {instrument.short}"))
    return found


def seed(app, sessions=None, mood=True):
    """The demo patient (intake pain 7, plan "Chronic low back pain (M54.5)", ICD-10 M54.5),
    with `sessions` visits instead of ten, and mood and body-map scores at intake."""
    make_user(app, "practitioner", "mei@example.org", display_name="Mei Lin",
              credentials="L.Ac.", licence_number="AC-20817")
    with app.app_context():
        from tracker.accounts.services import find_by_email
        saved = (reports_demo.BEFORE, reports_demo.AFTER, reports_demo.REEVALS)
        if sessions is not None:
            reports_demo.BEFORE = reports_demo.BEFORE[:sessions]
            reports_demo.AFTER = reports_demo.AFTER[:sessions]
            reports_demo.REEVALS = {sessions: saved[2][6]}
        try:
            patient = reports_demo.seed_demo(find_by_email("mei@example.org"))
        finally:
            reports_demo.BEFORE, reports_demo.AFTER, reports_demo.REEVALS = saved
        plan = db.session.scalars(select(TreatmentPlan)).one()
        if mood:
            at = datetime.combine(plan.start_on - timedelta(days=3), time(18), tzinfo=UTC)
            for code, value, items in (("phq2", 3, {"1": 2, "2": 1}),
                                       ("gad2", 2, {"1": 1, "2": 1}), ("wpi", 6, None)):
                measurements.add(patient.id, code, value, source="intake", taken_at=at,
                                 items=items)
        db.session.commit()
        return f"/reports/patients/{patient.id}/summary{{}}?plan={plan.id}&version={{}}"


def visible_text(html: str) -> str:
    body = html.split("<main", 1)[1]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"</?(strong|em|span)\b[^>]*>", "", body)  # inline: no space of its own
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def pdf_pages(data: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", p.extract_text()) for p in PdfReader(io.BytesIO(data)).pages]


def test_the_registry_gives_every_shipped_measure_a_plain_name_without_abbreviations():
    found = abbreviations()
    assert {"NRS", "PEG-3", "PHQ-2", "GAD-2", "PGIC", "WPI", "SSS"} <= found
    for instrument in REGISTRY.values():
        assert instrument.plain, instrument.key
        assert not found & set(re.findall(r"[A-Z][A-Z0-9-]+", instrument.plain + " "
                                          + instrument.plain_scale)), instrument.key


def test_patient_version_has_no_codes_or_abbreviations_and_says_what_numbers_mean(
        client, auth, app):
    url = seed(app)
    auth.login("practitioner", "mei@example.org")
    clinical = visible_text(client.get(url.format("", "clinical")).text)
    # The clinical letter keeps them: the patient's version leaves them out on purpose.
    assert "M54.5" in clinical and "PEG-3" in clinical and "PHQ-2" in clinical
    page = client.get(url.format("", "patient"))
    pdf = client.get(url.format(".pdf", "patient"))
    assert page.status_code == 200 and pdf.status_code == 200
    for text in (visible_text(page.text), " ".join(pdf_pages(pdf.data))):
        for abbreviation in abbreviations():
            assert not re.search(rf"\b{re.escape(abbreviation)}\b", text), abbreviation
        assert not ICD10_ANYWHERE.search(text), ICD10_ANYWHERE.search(text)
        assert "ICD" not in text and "IMMPACT" not in text and "STRICTA" not in text
        # ... and the same measures are there in words, with what the numbers mean.
        assert "Chronic low back pain" in text
        assert ("Your pain on the day went from 7 before treatment to 3 out of 10 at your "
                "latest visit, a 57 % drop. A big improvement") in text
        assert "A drop of 30 % or more (and at least 2 points on a 0 to 10 pain scale) is " \
               "usually felt as a real improvement" in text
        assert "Low mood and loss of interest over the past two weeks" in text
        assert "How many areas of your body hurt" in text
        assert "0 is no pain, 10 the worst pain you can imagine" in text
        assert "average pain over the past week from 6 to 3 or less" in text  # the goal


@pytest.mark.parametrize("text, plain", [
    ("Chronic low back pain (M54.5)", "Chronic low back pain"),
    ("Migraine G43.909, neck pain", "Migraine, neck pain"),
    ("Pain at T12 (ICD-10 M54.6)", "Pain at T12"),     # a vertebra stays; the code goes
    ("Back pain M545", "Back pain"),                   # the assessment's own code, undotted
])
def test_diagnosis_codes_leave_text_a_patient_reads(text, plain):
    assert without_codes(text, ("M545",)) == plain


@pytest.mark.parametrize("sessions", [1, 2, 3, 6])  # 1 left it alone on page 3
def test_the_signature_never_stands_alone_on_a_page(client, auth, app, sessions):
    url = seed(app, sessions=sessions, mood=False)
    auth.login("practitioner", "mei@example.org")
    for version in ("clinical", "patient"):
        pages = pdf_pages(client.get(url.format(".pdf", version)).data)
        last = pages[-1]
        assert "Signature" in last and "Signature" not in " ".join(pages[:-1])
        # The page with the signature carries the section before it (side effects).
        heading = "Adverse events" if version == "clinical" else "Side effects"
        assert heading in last, (version, len(pages), last)
        assert len(pages) <= (3 if version == "clinical" else 2), (version, len(pages))


@pytest.mark.parametrize("style, shown", [
    ("d_mon_y", "03 Dec 2026"), ("dmy", "03/12/2026"), ("mdy", "12/03/2026"),
    ("iso", "2026-12-03")])
def test_each_date_style(style, shown):
    assert date_text(date(2026, 12, 3), style=style) == shown
    assert date_text(date(2026, 12, 3), weekday=True, style=style) == f"Thu {shown}"
    assert set(DATE_STYLES) == {"d_mon_y", "dmy", "mdy", "iso"}


def test_the_clinics_date_style_is_used_on_pages_letters_and_pdfs(client, auth, app):
    url = seed(app, sessions=2, mood=False)
    auth.login("admin")
    page = client.get("/settings/").text
    assert "12/03/2026" in page  # the choice shows what it looks like
    with app.app_context():
        row = db.session.scalars(select(ClinicSettings)).first() or ClinicSettings(
            name="Acupuncture Clinic", time_zone="Europe/London", consent_text="x")
        row.date_style = "mdy"
        db.session.add(row)
        db.session.commit()
        patient_id = int(url.split("/")[3])
    auth.logout()
    auth.login("practitioner", "mei@example.org")
    for text in (visible_text(client.get(url.format("", "clinical")).text),
                 " ".join(pdf_pages(client.get(url.format(".pdf", "patient")).data)),
                 visible_text(client.get(f"/patients/{patient_id}").text),
                 visible_text(client.get("/patients/").text)):
        assert "03/14/1968" in text  # the date of birth, month first
        assert "14 Mar 1968" not in text and "1968-03-14" not in text


def png(size=(1200, 300), colour=(31, 111, 92, 255), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGBA" if fmt == "PNG" else "RGB", size,
              colour if fmt == "PNG" else colour[:3]).save(out, fmt)
    return out.getvalue()


def upload(client, data: bytes, name="logo.png"):
    return client.post("/settings/logo", data={"logo": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def beside_the_field(html: str) -> str:
    found = re.search(r'<p class="error" id="logo-error">([^<]*)</p>', html)
    assert found, "no message beside the logo field"
    assert 'aria-invalid="true"' in html.split('id="logo-error"')[1][:600]
    return found.group(1)


def stored_logos(app):
    with app.app_context():
        return list(db.session.scalars(select(ClinicLogo)))


def test_logo_upload_is_re_encoded_sized_and_heads_every_letter(client, auth, app):
    url = seed(app, sessions=2, mood=False)
    auth.login("admin")
    response = upload(client, png() + b"<script>trailing bytes</script>")
    assert response.status_code == 302
    (logo,) = stored_logos(app)
    assert logo.mimetype == "image/png" and (logo.width, logo.height) == (600, 150)
    assert b"<script>" not in logo.data  # a fresh encoding, not the file as sent
    with app.app_context():
        assert db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity == "ClinicLogo")).first() is not None
    assert upload(client, png((300, 900), fmt="JPEG"), "photo.jpg").status_code == 302
    (logo,) = stored_logos(app)  # replaced, not added
    assert logo.mimetype == "image/jpeg" and (logo.width, logo.height) == (67, 200)
    auth.logout()
    auth.login("practitioner", "mei@example.org")
    page = client.get(url.format("", "clinical")).text
    assert '<img class="clinic-logo" src="data:image/jpeg;base64,' in page
    pdf = PdfReader(io.BytesIO(client.get(url.format(".pdf", "patient")).data))
    assert list(pdf.pages[0].images), "no logo image on the PDF's first page"


@pytest.mark.parametrize("data, name, message", [
    (b"%PDF-1.4 not an image at all", "logo.png", "This file is not a PNG or JPEG image."),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "logo.svg",
     "This file is not a PNG or JPEG image."),
    (png(fmt="GIF"), "logo.gif", "Choose a PNG or JPEG image"),
    (png() + b"\0" * (2 * 1024 * 1024), "big.png", "choose an image of at most 2 MB"),
])
def test_logo_upload_refuses_what_it_cannot_use_beside_the_field(client, auth, app, data,
                                                                  name, message):
    auth.login("admin")
    response = upload(client, data, name)
    assert response.status_code == 400
    assert message in beside_the_field(response.text)
    assert stored_logos(app) == []


def test_logo_upload_without_a_file_and_removal(client, auth, app):
    auth.login("admin")
    response = client.post("/settings/logo", data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose an image file." in beside_the_field(
        response.text)
    upload(client, png())
    assert "Remove the logo" in client.get("/settings/").text
    assert client.post("/settings/logo/remove").status_code == 302
    assert stored_logos(app) == []


@pytest.mark.parametrize("role", ["practitioner", "reception"])
def test_only_administrators_change_the_logo(client, auth, app, role):
    auth.login(role)
    assert upload(client, png()).status_code == 403
    assert client.post("/settings/logo/remove").status_code == 403
    assert stored_logos(app) == []
