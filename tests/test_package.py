"""The built package runs anywhere: a wheel built with a plain `pip wheel .`, installed into a new
virtualenv and run from a directory far from the checkout, migrates a database, serves the
first-run page and its stylesheet through gunicorn (`tracker.wsgi:app`) and renders a PDF.

By default the new virtualenv borrows this one's installed dependencies (a `.pth` line; the
wheel itself goes in with `--no-deps`), which needs no network and takes seconds. With
TRACKER_WHEEL_FRESH=1 (`.ci/run`) the dependencies are installed into it from
requirements/run.txt instead, as a server would."""
import configparser
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
FRESH = os.environ.get("TRACKER_WHEEL_FRESH") == "1"
SOURCE = ["setup.cfg", "pyproject.toml", "README.md", "MANIFEST.in", "wsgi.py", "tracker",
          "templates", "migrations"]

pytestmark = pytest.mark.slow

SMOKE = r'''
import io, re, sys
from pathlib import Path
import tracker
from tracker.wsgi import app
assert Path(tracker.__file__).is_relative_to(sys.prefix), tracker.__file__
from flask import render_template
from pypdf import PdfReader
from sqlalchemy import select
from tracker.accounts.services import create_user
from tracker.extensions import db
from tracker.plans.models import TreatmentPlan
from tracker.reports import demo

with app.app_context():
    user = create_user("mei@example.org", "a long enough password 12345", role="practitioner",
                       display_name="Mei Lin")
    patient = demo.seed_demo(user)
    db.session.commit()
    plan = db.session.scalar(select(TreatmentPlan.id).where(TreatmentPlan.patient_id == patient.id))
    pid = patient.id
client = app.test_client()
client.environ_base["REMOTE_ADDR"] = "10.0.0.1"
https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/"}}
login = client.post("/login", data={"email": "mei@example.org",
                                     "password": "a long enough password 12345"}, **https)
assert login.status_code == 302, login.text[:500]
pdf = client.get(f"/reports/patients/{pid}/summary.pdf?plan={plan}", **https)
assert pdf.status_code == 200 and pdf.mimetype == "application/pdf", pdf.status_code
reader = PdfReader(io.BytesIO(pdf.data))
assert "/StructTreeRoot" in reader.trailer["/Root"]
print("PDF", len(pdf.data), "bytes,", len(reader.pages), "pages")
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, (args, result.stdout[-3000:], result.stderr[-3000:])
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """`pip wheel .` from a copy of the sources (the build leaves nothing in the checkout)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCE:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(src)])
    [built] = out.glob("acupuncture_tracker-*.whl")
    return built


def test_the_wheel_carries_every_subpackage_templates_migrations_and_static_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for init in (ROOT / "tracker").rglob("__init__.py"):
        assert init.relative_to(ROOT).as_posix() in names, f"{init.parent.name} not in setup.cfg"
    for folder, inside in [("templates", "tracker/templates"), ("migrations", "tracker/migrations"),
                           ("tracker/static", "tracker/static"),
                           ("tracker/clinical/data", "tracker/clinical/data")]:
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                name = f"{inside}/{path.relative_to(ROOT / folder).as_posix()}"
                assert name in names, f"{name} missing from the wheel"
    assert "tracker/wsgi.py" in names
    assert not any(n.startswith(("templates/", "migrations/", "tests/")) for n in names)


def test_the_installed_wheel_migrates_serves_and_prints_from_any_directory(wheel, tmp_path):
    venv = tmp_path / "venv"
    if FRESH:
        _run([sys.executable, "-m", "venv", str(venv)])
        _run([str(venv / "bin" / "pip"), "install", "--quiet", "-r",
              str(ROOT / "requirements" / "run.txt"), "pypdf"])
        _run([str(venv / "bin" / "pip"), "install", "--quiet", "--no-deps", str(wheel)])
    else:
        _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
        python = venv / "bin" / "python"
        purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                        "['purelib'])"]).stdout.strip()
        # This virtualenv's dependencies, after the new one's own site-packages: its .pth files
        # (the checkout's editable install) are not read, so `tracker` is the wheel's.
        Path(purelib, "_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
              "--no-deps", "--no-index", str(wheel)])
    python = venv / "bin" / "python"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TRACKER_", "FLASK_", "PYTHON"))}
    env |= {"TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'clinic.sqlite'}",
            "TRACKER_SECRET_KEY": "wheel-smoke-test-secret-key-0123456789-abcdefghij",
            "TRACKER_ARGON2_TIME_COST": "1", "TRACKER_ARGON2_MEMORY_COST": "8",
            "TRACKER_ARGON2_PARALLELISM": "1", "TRACKER_WTF_CSRF_ENABLED": "false"}

    upgrade = _run([str(python), "-m", "flask", "--app", "tracker", "db", "upgrade"],
                   cwd=elsewhere, env=env)
    assert "Running upgrade" in upgrade.stderr + upgrade.stdout

    port = _free_port()
    server = subprocess.Popen(
        [str(python), "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "tracker.wsgi:app"], cwd=elsewhere, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        setup = _get(f"http://127.0.0.1:{port}/setup", server)
        assert setup.status == 200 and b"administrator" in setup.read()
        assert setup.headers["X-Request-ID"]
        css = _get(f"http://127.0.0.1:{port}/static/css/app.css", server)
        assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
        assert len(css.read()) > 1000
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert '"path": "/setup", "status": 200' in output  # the request log line, to stderr

    smoke = _run([str(python), "-c", SMOKE], cwd=elsewhere, env=env)
    assert "PDF" in smoke.stdout
    flask = [str(python), "-m", "flask", "--app", "tracker"]
    assert "Deleted" in _run(flask + ["maintenance"], cwd=elsewhere, env=env).stdout
    _run(flask + ["exports", "backup", str(tmp_path / "backup.db")], cwd=elsewhere, env=env)
    _run(flask + ["exports", "verify", str(tmp_path / "backup.db")], cwd=elsewhere, env=env)
    assert not (elsewhere / "templates").exists() and not list(elsewhere.iterdir())


def _get(url: str, server: subprocess.Popen):
    deadline = time.monotonic() + 60
    while True:
        try:
            return urllib.request.urlopen(url, timeout=10)  # noqa: S310  (a local http URL)
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            package, version = line.split("==")
            pins[canonicalize_name(package.strip())] = version.split()[0]
    return pins


def test_the_lock_files_pin_every_requirement_in_setup_cfg():
    """requirements/run.txt holds install_requires, test.txt the extras too, each pinned to a
    version the specifier allows: after a change to setup.cfg, `make lock`."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    wanted = {"run.txt": config["options"]["install_requires"].split(),
              "test.txt": config["options"]["install_requires"].split()
              + config["options.extras_require"]["test"].split()
              + config["options.extras_require"]["dev"].split()}
    run = _pins("run.txt")
    for lock, lines in wanted.items():
        pins = _pins(lock)
        for line in filter(None, lines):
            requirement = Requirement(line)
            name = canonicalize_name(requirement.name)
            assert name in pins, f"{requirement.name} is not in requirements/{lock}: make lock"
            assert requirement.specifier.contains(pins[name], prereleases=True), (
                f"requirements/{lock} pins {name}=={pins[name]}, setup.cfg wants {line}")
            if lock == "test.txt" and name in run:
                assert pins[name] == run[name], f"{name}: run.txt and test.txt differ"
