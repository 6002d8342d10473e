"""`make bench`: build a large clinic on SQLite and PostgreSQL, then time the key pages.

Reports per page: SQL statements per request, median and 95th-percentile server time (in-process,
test client) and requests per second through gunicorn beside a bare /healthz route measured in the
same run. Results are appended to bench/RESULTS.md with the date and machine."""
import argparse
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from http.cookiejar import CookieJar
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

from bench import appointments, populate, summaries
from bench import sessions as bench_sessions
from bench.server import SECRET, Server, free_port
from tracker import create_app
from tracker.extensions import db
from tracker.reports import plan_outcomes

ROOT = Path(__file__).resolve().parent.parent


def pages(ids: dict) -> list[tuple[str, str]]:
    """(name, path) of the pages that matter most; later features add theirs here."""
    return [
        ("dashboard", "/"),
        ("patient search", "/patients/?q=garc"),
        ("patient list, last visit", "/patients/?sort=last_visit&page=40"),
        ("patient page", f"/patients/{ids['patient_id']}"),
        ("audit trail", "/audit/"),
        ("practitioner week", f"/schedule/week?practitioner={ids['practitioner_id']}"),
        ("clinic week", "/schedule/clinic"),
        ("intakes awaiting review", "/intakes/"),
        ("intake review", f"/intakes/{ids['intake_id']}"),
        ("session form", f"/sessions/{ids['session_id']}/edit"),
        ("patient's sessions", f"/patients/{ids['patient_id']}/sessions"),
    ] + summaries.pages(ids)


def fresh_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir}/bench.sqlite"
    name = f"tracker_bench_{os.getpid()}"
    admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_database(url: str) -> None:
    if url.startswith("postgresql"):
        name = url.rsplit("/", 1)[1]
        admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def settle(table: str = "") -> None:
    """What `flask optimize-db` (SQLite) or autovacuum (PostgreSQL) does on a live clinic:
    planner statistics, and on PostgreSQL the visibility map index-only scans rely on."""
    postgres = db.engine.dialect.name == "postgresql"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text(f"{'VACUUM ANALYZE' if postgres else 'ANALYZE'} {table}"))


def in_process(app, ids: dict, requests: int) -> list[dict]:
    """Median and p95 time and SQL statement count per page through the test client."""
    statements = {"n": 0}

    def count(*_args, **_kwargs):
        statements["n"] += 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
    client = app.test_client()
    client.post("/login", data={"email": "admin@bench.example", "password": populate.PASSWORD},
                base_url="https://localhost")
    rows = []
    for name, path in pages(ids):
        timings, counts = [], set()
        for i in range(requests + 3):
            statements["n"] = 0
            start = time.perf_counter()
            response = client.get(path, base_url="https://localhost")
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, (path, response.status_code)
            if i >= 3:  # warm-up excluded
                timings.append(elapsed * 1000)
                counts.add(statements["n"])
        timings.sort()
        rows.append({"page": name, "queries": "/".join(map(str, sorted(counts))),
                     "median_ms": statistics.median(timings),
                     "p95_ms": timings[int(len(timings) * 0.95) - 1]})
    return rows


def _opener_logged_in(base: str):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": "admin@bench.example",
                                   "password": populate.PASSWORD}).encode()
    opener.open(urllib.request.Request(base + "/login", data=data,
                                       headers={"Referer": base + "/login"}))
    return opener


def throughput(base: str, path: str, seconds: float, threads: int) -> float:
    done = {"n": 0}
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def worker():
        opener = _opener_logged_in(base)
        while time.monotonic() < stop:
            opener.open(base + path).read()
            with lock:
                done["n"] += 1

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return done["n"] / (time.monotonic() - started)


def through_gunicorn(url: str, ids: dict, seconds: float) -> dict[str, float]:
    with Server(url, free_port(5600 + os.getpid() % 300), workers=2) as server:
        results = {"hello (/healthz)": throughput(server.base, "/healthz", seconds, 4)}
        for name, path in pages(ids):
            results[name] = throughput(server.base, path, seconds, 4)
        return results


def run(kind: str, args) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_database(kind, Path(tmp))
        try:
            app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                              "WTF_CSRF_ENABLED": False})
            started = time.perf_counter()
            with app.app_context():
                upgrade(directory=str(ROOT / "migrations"), revision="heads")
                ids = populate.build(args.patients, args.practitioners)
                ids["appointments"] = appointments.build(args.patients,
                                                         target=args.appointments)
                ids["sessions"] = bench_sessions.build(args.sessions, args.patients)
                ids |= bench_sessions.timed_records(ids["patient_id"], ids["practitioner_id"])
                settle()
                # What `flask rebuild-outcomes` does after a bulk load (rows written without
                # the ORM have no outcome rows yet), timed as a figure of its own.
                filled = time.perf_counter()
                plan_outcomes.fill_missing()
                ids["outcomes_s"] = time.perf_counter() - filled
                settle("plan_outcome")
                ids |= summaries.build(100, ids["practitioner_id"])
                ids["plans"] = db.session.scalar(sa.select(sa.func.count()).select_from(
                    sa.table("treatment_plan")))
            built = time.perf_counter() - started
            timed = in_process(app, ids, args.requests)
            rps = through_gunicorn(url, ids, args.seconds)
        finally:
            drop_database(url)
    hello = rps.pop("hello (/healthz)")
    lines = [f"### {kind}: {args.patients:,} patients, {args.practitioners} practitioners, "
             f"{ids['plans']:,} plans, {ids['appointments']:,} appointments, "
             f"{ids['sessions']:,} session records (built in {built:.0f} s, of which "
             f"{ids['outcomes_s']:.0f} s counting every plan's outcomes)", "",
             "| page | SQL statements | median ms | p95 ms | req/s (gunicorn, 2 workers) | "
             "÷ hello |", "|---|---|---|---|---|---|",
             f"| hello (/healthz) | 0 | | | {hello:.0f} | 1.00 |"]
    for row in timed:
        page_rps = rps[row["page"]]
        ratio = page_rps / hello if hello else 0.0
        lines.append(f"| {row['page']} | {row['queries']} | {row['median_ms']:.1f} | "
                     f"{row['p95_ms']:.1f} | {page_rps:.0f} | {ratio:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=50_000)
    parser.add_argument("--practitioners", type=int, default=20)
    parser.add_argument("--appointments", type=int, default=1_000_000)
    parser.add_argument("--sessions", type=int, default=600_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--ratio-only", action="store_true",
                        help="only each page's throughput ÷ /healthz's at the demo clinic's size "
                             "(bench/ratio.py; --db sqlite by default, --seconds per page)")
    parser.add_argument("--note", default="", help="a word on the run, in the results header")
    args = parser.parse_args()
    if args.ratio_only and args.db == "both" and "--db" not in sys.argv:
        args.db = "sqlite"
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    header = (f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node() or 'unknown'}"
              f"{f' ({args.note})' if args.note else ''}: "
              f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    if args.ratio_only:
        from bench import ratio
        runs = [ratio.run(kind, args.seconds, min(args.requests, 20)) for kind in kinds]
        report = "\n\n".join([header] + [text for text, _ in runs])
        met = all(ok for _, ok in runs)
    else:
        report = "\n\n".join([header] + [run(kind, args) for kind in kinds])
        met = True
    print(report)
    if not args.no_save:
        results = ROOT / "bench" / "RESULTS.md"
        previous = results.read_text() if results.exists() else "# Benchmark results\n"
        title, _, rest = previous.partition("\n")
        results.write_text(f"{title}\n\n{report}\n{rest}")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
