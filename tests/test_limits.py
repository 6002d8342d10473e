"""Limits and files: request size, intake draft size, integers in query strings, file modes of the
database and backups, the PostgreSQL password off the command line, the public base URL for
share links and calendar UIDs, the PDF renderer's URL fetcher, and download file names."""
import os
import re
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from icalendar import Calendar
from sqlalchemy import select, text

from tests import factories
from tests.conftest import Client
from tests.intake_helpers import link_token
from tracker import clock, create_app
from tracker.config import check_production
from tracker.exports import backup
from tracker.extensions import db
from tracker.intake import services as intake_services
from tracker.intake.models import Intake
from tracker.patients.models import Patient
from tracker.reports import demo as reports_demo
from tracker.reports import pdf
from tracker.security import attachment

ROOT = Path(__file__).resolve().parent.parent
HUGE = "99999999999999999999"


def _world(app) -> dict:
    with app.app_context():
        mei = factories.practitioner("mei@example.org")
        ana = factories.patient()
        factories.signed_session(ana, mei)
        db.session.commit()
        return {"patient": ana.id, "user": mei.id}


# -- request size ----------------------------------------------------------------------------------

def test_a_two_megabyte_post_is_refused_unread_with_a_413(app, client):
    _world(app)
    response = client.post("/login", data={"email": "a@example.org", "password": "x" * 2_000_000})
    assert response.status_code == 413
    assert "too much to send at once" in response.text
    assert client.get("/login").status_code == 200  # nothing else broke


def test_a_too_large_form_post_offers_the_way_back_to_the_form(app, client, auth):
    auth.login("admin")
    response = client.post("/patients/new", data={"notes": "x" * 1_100_000})
    assert response.status_code == 413
    assert 'href="/patients/new"' in response.text
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


# -- intake drafts ---------------------------------------------------------------------------------

def test_draft_steps_are_capped_per_field_and_per_step(app):
    with app.app_context():  # drafts are saved under the intake's row lock
        intake = Intake(patient=factories.patient(),
                        draft={"about": {"given_name": ["Ana"]}, "_reached": 1})
        db.session.add(intake)
        db.session.flush()
        good = {"complaint": ["x" * 4000], "better_with": ["y" * 2000], "regions": ["a"] * 31}
        intake_services.save_draft(intake, "pain", good, 1)
        assert intake.draft["pain"] == good
        for junk in ({"complaint": ["x" * 8001]},                       # one field too long
                     {f"f{i}": ["x"] for i in range(201)},              # too many fields
                     {"regions": ["a"] * 101},                          # too many values
                     {f"f{i}": ["x" * 7000] for i in range(6)}):        # the step too large
            with pytest.raises(intake_services.DraftTooLarge):
                intake_services.save_draft(intake, "pain", junk, 1)
            assert intake.draft["pain"] == good  # what was kept stays


def test_a_link_holder_cannot_store_junk_in_a_draft(app, client, auth):
    auth.login("reception")
    with app.app_context():
        patient_id = factories.patient().id
        db.session.commit()
    token = link_token(client, patient_id)
    auth.logout()
    patient = app.test_client()
    opened = patient.get(f"https://localhost/i/{token}", follow_redirects=True)
    assert opened.status_code == 200
    step_path = opened.request.path
    response = patient.post(f"https://localhost{step_path}",
                            data={"given_name": "Ana", "junk": "x" * 400_000},
                            headers={"Referer": "https://localhost/"})
    assert response.status_code == 413
    assert "longer than this step can keep" in response.text
    with app.app_context():
        draft = db.session.scalars(select(Intake.draft)).one() or {}
        assert "junk" not in str(draft)[:1000] and len(str(draft)) < 10_000


# -- integers in query strings ---------------------------------------------------------------------

@pytest.mark.parametrize("query", [f"page={HUGE}", "page=2147483648", "page=0", "page=-1",
                                   "page=1e9", "page=%EF%BC%91"])
def test_huge_or_bad_page_numbers_are_404_on_every_list(app, client, auth, query):
    ids = _world(app)
    auth.login("admin")
    for url in ("/patients/", "/audit/", "/intakes/", f"/patients/{ids['patient']}/sessions"):
        response = client.get(f"{url}?{query}")
        assert response.status_code in (400, 404), (url, response.status_code)
        assert client.get(f"{url}?page=1").status_code == 200, url


def test_huge_filters_and_page_sizes_are_404_or_capped(app, client, auth):
    _world(app)
    auth.login("admin")
    assert client.get(f"/audit/?patient_id={HUGE}").status_code == 404
    assert client.get(f"/audit/?user_id={HUGE}").status_code == 404
    assert client.get(f"/patients/?per_page={HUGE}").status_code == 200
    assert client.get(f"/week?practitioner={HUGE}").status_code == 404


# -- files -----------------------------------------------------------------------------------------

@pytest.fixture
def loose_umask():
    """A server's usual umask (022): the app has to make its files private by itself."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_upgrade_and_backup_create_private_files(tmp_path):
    database = tmp_path / "data" / "clinic.sqlite"
    database.parent.mkdir()
    env = {"TRACKER_DATABASE_URL": f"sqlite:///{database}", "FLASK_APP": "tracker",
           "TRACKER_SECRET_KEY": "k" * 40, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    flask = [sys.executable, "-m", "flask"]
    for args in (["db", "upgrade"], ["exports", "backup", str(tmp_path / "b" / "x.db")]):
        result = subprocess.run(flask + args, cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=120, umask=0o022, check=False)
        assert result.returncode == 0, result.stderr[-2000:]
    assert _mode(database) == 0o600
    assert _mode(tmp_path / "b" / "x.db") == 0o600
    assert _mode(tmp_path / "b") == 0o700
    assert _mode(ROOT / "instance") == 0o700


def test_sqlite_wal_and_shm_are_private_and_an_open_database_is_tightened(tmp_path, loose_umask):
    database = tmp_path / "w.sqlite"
    database.touch(mode=0o644)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
                      "SECRET_KEY": "k" * 40, "TESTING": True})
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (x INTEGER)"))
        db.session.execute(text("INSERT INTO t VALUES (1)"))
        db.session.commit()
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{database}{suffix}")
            assert path.exists() and _mode(path) == 0o600, suffix
        db.engine.dispose()


def test_a_backup_overwriting_an_old_readable_file_makes_it_private(tmp_path, loose_umask):
    from flask_migrate import upgrade

    from tracker import create_app
    source = tmp_path / "s.sqlite"
    app = create_app({"TESTING": True, "SECRET_KEY": "k" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{source}"})
    app.instance_path = str(tmp_path / "instance")
    with app.app_context():
        upgrade()  # a real tracker database: backups verify what they wrote
    target = tmp_path / "old.db"
    target.write_bytes(b"")
    target.chmod(0o644)
    backup.backup(f"sqlite:///{source}", target)
    assert _mode(target) == 0o600


def test_pg_dump_and_pg_restore_get_the_password_from_the_environment(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(backup.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(backup.subprocess, "run", lambda argv, **kw: ran.append((argv, kw)) or
                        subprocess.CompletedProcess(argv, 0, "", ""))
    url = "postgresql+psycopg://tracker:s3cr%40t-pw@db.internal:5432/tracker?sslmode=require"
    # The stand-in tools write nothing, so the backup's own check refuses it: what matters here
    # is how each tool was called on the way.
    with pytest.raises(backup.BackupError):
        backup.backup(url, tmp_path / "x.dump")
    [(argv, kw)] = [(argv, kw) for argv, kw in ran if argv[0] == "pg_dump"]
    assert not any("s3cr" in part for part in argv), argv
    assert kw["env"]["PGPASSWORD"] == "s3cr@t-pw"
    assert any("postgresql://tracker@db.internal:5432/tracker?sslmode=require" in part
               for part in argv), argv
    # pg_restore and psql, on restore, are called with the same address and environment.
    address, env = backup._libpq(url)
    assert "s3cr" not in address and env["PGPASSWORD"] == "s3cr@t-pw"


# -- public base URL -------------------------------------------------------------------------------

def test_share_links_and_calendar_uids_use_the_public_base_url_not_the_host(make_app):
    app = make_app(PUBLIC_BASE_URL="https://clinic.example.org")
    app.test_client_class = Client
    client = app.test_client()
    with app.app_context():
        reception = factories.user("reception")
        mei = factories.practitioner()
        ana = factories.patient()
        factories.appointment(ana, mei, clock.now() + timedelta(days=3))
        db.session.commit()
        patient_id, email = ana.id, reception.email
    forged = {"Host": "evil.example", "Referer": "https://evil.example/"}
    assert client.post("/login", data={"email": email, "password": factories.PASSWORD},
                       headers=forged).status_code == 302
    page = client.post(f"/patients/{patient_id}/intake-links", headers=forged,
                       follow_redirects=True).text
    assert re.search(r'value="https://clinic\.example\.org/i/[A-Za-z0-9_-]{20,}"', page), page
    assert "evil.example" not in page
    ics = client.get(f"/schedule/patients/{patient_id}/appointments.ics", headers=forged)
    uids = [str(e["uid"]) for e in Calendar.from_ical(ics.data).walk("VEVENT")]
    assert uids and all(uid.endswith("@clinic.example.org") for uid in uids), uids


def test_development_without_a_base_url_uses_the_request_host(app, client, auth):
    auth.login("reception")
    with app.app_context():
        patient_id = factories.patient().id
        db.session.commit()
    assert link_token(client, patient_id)  # https://localhost/i/...


@pytest.mark.parametrize("base", ["", "http://clinic.example.org", "clinic.example.org",
                                  "https://clinic.example.org/tracker"])
def test_production_needs_an_https_public_base_url(base):
    config = {"ENV": "production", "SECRET_KEY": "k" * 40, "SESSION_COOKIE_SECURE": True,
              "PUBLIC_BASE_URL": base}
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        check_production(config)
    check_production(config | {"PUBLIC_BASE_URL": "https://clinic.example.org"})


# -- the PDF renderer ------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "http://127.0.0.1:9/x.css", "https://example.org/logo.png",
    "ftp://example.org/x", "data:text/css,body{}", "file://evil.example/etc/passwd",
    pdf.PDF_CSS.as_uri().replace("/css/summary-pdf.css", "/../pdf.py"),
    pdf.PDF_CSS.as_uri().replace("/css/summary-pdf.css", "/%2E%2E/pdf.py"),
])
def test_the_pdf_fetcher_refuses_everything_but_static_files(url):
    with pytest.raises(ValueError):
        pdf.fetcher()(url)


def test_the_pdf_fetcher_serves_the_apps_static_files():
    response = pdf.fetcher()(pdf.PDF_CSS.as_uri())
    assert response.content_type == "text/css" and b"{" in response.read()


def test_rendering_never_reads_a_file_a_document_points_at(monkeypatch):
    asked = []
    real = pdf.static_file
    monkeypatch.setattr(pdf, "static_file", lambda url: asked.append(url) or real(url))
    body = pdf.render('<p>x</p><img src="file:///etc/passwd">'
                      '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">')
    assert body.startswith(b"%PDF") and b"root:" not in body
    assert "file:///etc/passwd" in asked  # asked, and refused


# -- download names --------------------------------------------------------------------------------

def _filename_star(header: str) -> str:
    return unquote(re.search(r"filename\*=UTF-8''([^;]+)", header).group(1))


def test_the_summary_pdf_downloads_for_a_name_outside_latin_1(app, client, auth):
    with app.app_context():
        mei = factories.practitioner("mei@example.org")
        patient = reports_demo.seed_demo(mei)
        patient.family_name = "Yılmaz"
        db.session.commit()
        patient_id = patient.id
    auth.login("practitioner", "mei@example.org")
    response = client.get(f"/reports/patients/{patient_id}/summary.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    header = response.headers["Content-Disposition"]
    assert header.isascii(), header  # a header outside Latin-1 is a 500 under gunicorn
    assert header.startswith('attachment; filename="summary-ylmaz-')
    assert re.fullmatch(r"summary-yılmaz-\d{8}-clinical\.pdf", _filename_star(header))


@pytest.mark.parametrize("name, plain", [
    ("appointments.ics", 'attachment; filename="appointments.ics"'),
    ("summary-dubois-20261204-clinical.pdf", None),
    ("summary-müller-20261204.pdf", 'attachment; filename="summary-muller-20261204.pdf"'),
    ('a"b\r\nX-Evil: 1.csv', None),
    ("咨询.pdf", 'attachment; filename="download.pdf"'),
])
def test_download_names_are_ascii_with_an_rfc_5987_name(name, plain):
    header = attachment(name)
    assert header.isascii() and "\r" not in header and "\n" not in header
    if plain:
        assert header.split("; filename*=")[0] == plain
    if "filename*=" in header:
        assert _filename_star(header) == name.replace("\r", "").replace("\n", "")


def test_csv_fhir_and_ics_downloads_carry_the_same_header(app, client, auth):
    ids = _world(app)
    auth.login("admin")
    with app.app_context():
        assert db.session.get(Patient, ids["patient"]) is not None
    for url in (f"/exports/patients/{ids['patient']}/fhir.json", "/exports/sessions.csv",
                f"/schedule/patients/{ids['patient']}/appointments.ics"):
        header = client.get(url).headers["Content-Disposition"]
        assert re.fullmatch(r'attachment; filename="[\w.-]+"', header), (url, header)
