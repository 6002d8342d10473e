"""Per-request overhead at the demo clinic's size: each page's throughput through gunicorn divided
by a bare route's (/healthz) in the same run (`python -m bench.run --ratio-only`, `make bench`).

The demo clinic (`flask seed-demo`) on a throwaway SQLite file (or PostgreSQL database), gunicorn
with 2 workers as in bench.run, logged in as the administrator (who sees every panel). Load comes
from wrk when installed (Debian: apt-get install wrk), which costs the server's cores little;
otherwise from Python threads, which cost more and so flatter every ratio (the report says
which). Each page alternates with /healthz in short slices and is divided by the /healthz
requests of its own slices, since this machine's speed drifts (other work shares its cores).
Beside it: the workers' CPU time per request (from /proc, steadier than throughput on a busy
machine) and the in-process median (test client)."""
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from bench.server import SECRET, Server, free_port

ROOT = Path(__file__).resolve().parent.parent
TARGET_MEDIAN, TARGET_FLOOR = 0.10, 0.05
ROUNDS = 3


def demo_clinic(app) -> dict:
    """Seed the demo clinic; return the ids its pages need (the patient with most sessions)."""
    from tracker.demo import DEMO_PASSWORD, STAFF, seed
    from tracker.extensions import db
    from tracker.intake.models import Intake
    from tracker.plans.models import TreatmentPlan
    from tracker.schedule.models import Appointment
    from tracker.sessions.models import SessionRecord
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        seed()
        patient_id = db.session.execute(
            sa.select(SessionRecord.patient_id).group_by(SessionRecord.patient_id)
            .order_by(sa.func.count().desc()).limit(1)).scalar_one()
        first = db.session.scalars

        def one(stmt):
            return first(stmt.limit(1)).one()
        ids = {
            "email": STAFF[0][0], "password": DEMO_PASSWORD, "patient_id": patient_id,
            "session_id": one(sa.select(SessionRecord.id)
                              .where(SessionRecord.patient_id == patient_id)
                              .order_by(SessionRecord.id.desc())),
            "draft_id": first(sa.select(SessionRecord.id)
                              .where(SessionRecord.status == "draft").limit(1)).first(),
            "intake_id": one(sa.select(Intake.id).where(Intake.status != "draft")
                             .order_by(Intake.id)),
            "plan_id": one(sa.select(TreatmentPlan.id)
                           .where(TreatmentPlan.patient_id == patient_id)),
            "appointment_id": one(sa.select(Appointment.id)
                                  .where(Appointment.patient_id == patient_id)
                                  .order_by(Appointment.starts_at.desc())),
            "practitioner_id": one(sa.select(Appointment.practitioner_id)),
        }
        db.engine.dispose()
    return ids


def pages(ids: dict) -> list[tuple[str, str]]:
    """The staff pages a clinic day goes through (documents such as PDFs are timed elsewhere)."""
    rows = [
        ("dashboard", "/"),
        ("patients list", "/patients/"),
        ("patient search", "/patients/?q=chen"),
        ("patient page", f"/patients/{ids['patient_id']}"),
        ("patient's sessions", f"/patients/{ids['patient_id']}/sessions"),
        ("session record", f"/sessions/{ids['session_id']}"),
        ("treatment plan", f"/plans/{ids['plan_id']}"),
        ("appointment", f"/schedule/appointments/{ids['appointment_id']}"),
        ("practitioner week", f"/schedule/week?practitioner={ids['practitioner_id']}"),
        ("clinic week", "/schedule/clinic"),
        ("intakes awaiting review", "/intakes/"),
        ("intake review", f"/intakes/{ids['intake_id']}"),
        ("summary", f"/reports/patients/{ids['patient_id']}/summary"),
        ("outcomes dashboard", "/reports/outcomes"),
        ("audit trail", "/audit/"),
        ("settings", "/settings/"),
        ("staff accounts", "/users/"),
        ("my account", "/account/"),
    ]
    if ids.get("draft_id"):
        rows.insert(6, ("session form", f"/sessions/{ids['draft_id']}/edit"))
    return rows


def log_in(base: str, email: str, password: str) -> str:
    """Log in over HTTP; return the Cookie header that carries the login."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": email,
                                   "password": password}).encode()
    opener.open(urllib.request.Request(base + "/login", data=data,
                                       headers={"Referer": base + "/login"}))
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    # The login holds: a page answers 200, not a redirect to /login.
    check = urllib.request.Request(base + "/account/", headers={"Cookie": cookie})
    with urllib.request.build_opener(_NoRedirect()).open(check) as resp:
        assert resp.status == 200, resp.status
    return cookie


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        raise AssertionError("redirected: not logged in")


def with_wrk(base: str, path: str, cookie: str, seconds: float) -> int:
    """Requests answered in `seconds` (wrk, 1 thread, 4 connections)."""
    out = subprocess.run(
        ["wrk", "-t1", "-c4", f"-d{seconds:g}s", "-H", f"Cookie: {cookie}", base + path],
        capture_output=True, text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise AssertionError(f"{path}: {bad.group(1)} responses were not 2xx")
    return int(re.search(r"(\d+) requests in", out).group(1))


def with_threads(base: str, path: str, cookie: str, seconds: float) -> int:
    from concurrent.futures import ThreadPoolExecutor
    stop = time.monotonic() + seconds

    def worker(_):
        n = 0
        while time.monotonic() < stop:
            req = urllib.request.Request(base + path, headers={"Cookie": cookie})
            with urllib.request.urlopen(req) as resp:  # noqa: S310
                assert resp.status == 200
                resp.read()
            n += 1
        return n

    with ThreadPoolExecutor(4) as pool:
        return sum(pool.map(worker, range(4)))


def cpu_seconds(parent: int) -> float:
    """CPU time (user + system) the server's worker processes have used so far."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:  # ppid
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def in_process(app, ids: dict, requests: int) -> dict[str, float]:
    client = app.test_client()
    client.post("/login", data={"email": ids["email"], "password": ids["password"]},
                base_url="https://localhost")
    medians = {}
    for name, path in pages(ids):
        timings = []
        for i in range(requests + 2):
            start = time.perf_counter()
            response = client.get(path, base_url="https://localhost")
            if i >= 2:
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        medians[name] = statistics.median(timings)
    return medians


def measure(url: str, ids: dict, seconds: float, workers: int = 2) -> tuple[dict, str]:
    """Per page: `ROUNDS` pairs of (/healthz, the page) slices of seconds / ROUNDS each, so both
    see the same machine; returns requests and worker CPU seconds per page and per /healthz."""
    tool = "wrk" if shutil.which("wrk") else "python threads"
    load = with_wrk if tool == "wrk" else with_threads
    slice_ = max(1, round(seconds / ROUNDS))  # wrk takes whole seconds
    rows = {}
    with Server(url, free_port(5300 + os.getpid() % 250), workers,
                log=os.environ.get("BENCH_SERVER_LOG")) as server:
        base = server.base
        cookie = log_in(base, ids["email"], ids["password"])
        for _name, path in pages(ids):  # warm both workers' templates and caches
            load(base, path, cookie, 1)
        for name, path in pages(ids):
            row = rows[name] = {"hello": 0, "page": 0, "hello_cpu": 0.0, "page_cpu": 0.0}
            for _ in range(ROUNDS):
                for kind, target in (("hello", "/healthz"), ("page", path)):
                    before = cpu_seconds(server.pid)
                    row[kind] += load(base, target, cookie, slice_)
                    row[f"{kind}_cpu"] += cpu_seconds(server.pid) - before
    return {"pages": rows, "seconds": slice_ * ROUNDS}, tool


def report(result: dict, medians: dict, tool: str, kind: str) -> tuple[str, float, float]:
    rows, seconds = result["pages"], result["seconds"]
    ratios = {name: r["page"] / r["hello"] for name, r in rows.items()}
    median, floor = statistics.median(ratios.values()), min(ratios.values())
    hello_rps = sum(r["hello"] for r in rows.values()) / (seconds * len(rows))
    hello_cpu = sum(r["hello_cpu"] for r in rows.values()) / sum(r["hello"] for r in rows.values())
    lines = [f"### Per-request overhead, demo clinic ({kind}, gunicorn 2 workers, load by {tool}, "
             f"{ROUNDS} alternating slices of /healthz and the page, {seconds:g} s each)", "",
             f"/healthz: {hello_rps:.0f} req/s on average, {hello_cpu * 1000:.2f} ms of worker "
             "CPU per request", "",
             "| page | in-process median ms | req/s | /healthz req/s beside it | "
             "worker CPU ms/req | ÷ /healthz |", "|---|---|---|---|---|---|"]
    for name, r in rows.items():
        cpu = r["page_cpu"] / r["page"] * 1000 if r["page"] else 0.0
        lines.append(f"| {name} | {medians.get(name, 0):.1f} | {r['page'] / seconds:.0f} | "
                     f"{r['hello'] / seconds:.0f} | {cpu:.1f} | {ratios[name]:.3f} |")
    verdict = "meets" if median >= TARGET_MEDIAN and floor >= TARGET_FLOOR else "misses"
    lines += ["", f"Median page ratio {median:.3f}, lowest {floor:.3f} "
              f"({min(ratios, key=ratios.get)}): {verdict} the target "
              f"(median ≥ {TARGET_MEDIAN}, none under {TARGET_FLOOR})."]
    return "\n".join(lines), median, floor


def run(kind: str, seconds: float, requests: int) -> tuple[str, bool]:
    from bench.run import drop_database, fresh_database
    from tracker import create_app
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_database(kind, Path(tmp))
        try:
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                              "WTF_CSRF_ENABLED": False, "LOG_REQUESTS": False})
            ids = demo_clinic(app)
            medians = in_process(app, ids, requests)
            with app.app_context():
                from tracker.extensions import db
                db.engine.dispose()
            result, tool = measure(url, ids, seconds)
        finally:
            drop_database(url)
    text, median, floor = report(result, medians, tool, kind)
    return text, median >= TARGET_MEDIAN and floor >= TARGET_FLOOR
