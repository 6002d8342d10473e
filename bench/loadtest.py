"""`make loadtest`: 50 clients against gunicorn (several workers) on SQLite and PostgreSQL.

Clients mix searches and page views with creates and edits. Afterwards: zero 5xx, every
acknowledged write present exactly once with its last acknowledged value. A second phase kills
the server with SIGKILL mid-load, restarts it, lets clients retry, and checks the same plus the
database's own integrity check. With --nginx (`make deploytest`): two gunicorn instances behind
one nginx (bench/behind_nginx.py); one is killed with SIGKILL mid-load and nginx sends its
share to the other while systemd would restart it (here: 2 s later, as deploy/tracker.service's
RestartSec)."""
import argparse
import http.client
import os
import random
import re
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path

import sqlalchemy as sa

from bench.run import drop_database, fresh_database
from bench.server import SECRET, Server, free_port

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-password-1"
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Client(threading.Thread):
    def __init__(self, n: int, base: str, stop_at: float, stats: Counter, lock, writes: dict,
                 route=None):
        super().__init__(daemon=True)
        self.n, self.base, self.stop_at = n, base, stop_at
        self.stats, self.lock, self.writes = stats, lock, writes
        self.rng = random.Random(n)
        self.route = route  # behind nginx (bench/behind_nginx.py): own address, TLS, Referer
        handlers = route.handlers(n) if route else []
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()),
                                                  NoRedirect(), *handlers)
        self.referer = route.referer if route else base + "/"
        self.created: list[int] = []
        self.token = ""

    def request(self, path: str, data: dict | None = None, retries: int = 40):
        """Send; on a dropped connection (server killed) retry the same request."""
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        for _ in range(retries):
            try:
                req = urllib.request.Request(self.base + path, data=body,
                                             headers={"Referer": self.referer})
                try:
                    with self.opener.open(req, timeout=30) as resp:
                        return resp.status, resp.headers, resp.read().decode()
                except urllib.error.HTTPError as err:
                    page = err.read().decode(errors="replace")
                    if self.route and err.code == 502 and "nginx" in page:
                        raise Gateway from err
                    return err.code, err.headers, page
            except Gateway:
                # nginx's 502: the instance holding this request was killed before answering
                # (nginx passes a post to the other instance only if the first never got it).
                with self.lock:
                    self.stats["retried after nginx 502"] += 1
                time.sleep(0.25)
            except (OSError, http.client.HTTPException):
                # Connection refused or cut mid-response while the server was killed.
                with self.lock:
                    self.stats["retried"] += 1
                time.sleep(0.25)
        raise RuntimeError("server unreachable")

    def count(self, status: int):
        with self.lock:
            self.stats[f"{status // 100}xx"] += 1
            if status == 429:
                self.stats["429 (paused)"] += 1

    def login(self) -> int:
        status, _, page = self.request("/login")
        self.token = TOKEN_RE.search(page).group(1)
        status, _, _ = self.request("/login", {"csrf_token": self.token,
                                               "email": f"load{self.n}@example.org",
                                               "password": PASSWORD})
        if status == 302:
            _, _, page = self.request("/patients/new")
            self.token = TOKEN_RE.search(page).group(1)
        return status

    def relogin(self) -> bool:
        """Behind nginx: log out and in again while the guesser attacks these accounts."""
        self.request("/logout", {"csrf_token": self.token})
        ok = self.login() == 302
        with self.lock:
            self.stats["relogin ok" if ok else "relogin refused"] += 1
        return ok

    def run(self):
        if not self.token:  # behind nginx, staff log in before the clock starts
            status = self.login()
            assert status == 302, status
        i = 0
        while time.monotonic() < self.stop_at:
            i += 1
            if self.route and self.route.relogs(self.n, i):
                if not self.relogin():
                    return
                continue
            roll = self.rng.random()
            if roll < 0.35:
                status, _, _ = self.request(f"/patients/?q=load+c{self.n}")
            elif roll < 0.6 and self.created:
                status, _, _ = self.request(f"/patients/{self.rng.choice(self.created)}")
            elif roll < 0.8 or not self.created:
                marker = f"C{self.n}-{i}"
                # The form's one-time key, as a browser sends it: a retry of this post (the
                # server killed before answering) is answered with the first one's result.
                data = {"csrf_token": self.token, "given_name": "Load", "family_name": marker,
                        "date_of_birth": "1970-01-01", "sex": "unknown",
                        "primary_practitioner_id": "0", "phone": "020 7946 0000",
                        "submission_key": f"load-{self.n}-{i}-{self.rng.getrandbits(64):x}"}
                status, headers, _ = self.request("/patients/new", data)
                if status == 302:
                    patient_id = int(headers["Location"].rstrip("/").rsplit("/", 1)[1])
                    self.created.append(patient_id)
                    with self.lock:
                        self.writes[marker] = (patient_id, "020 7946 0000")
            else:
                patient_id = self.rng.choice(self.created)
                marker = next(m for m, (pid, _) in self.writes.items() if pid == patient_id)
                phone = f"020 7946 {self.rng.randint(1000, 9999)}"
                status, _, _ = self.request(f"/patients/{patient_id}/edit", {
                    "csrf_token": self.token, "given_name": "Load", "family_name": marker,
                    "date_of_birth": "1970-01-01", "sex": "unknown",
                    "primary_practitioner_id": "0", "phone": phone})
                if status == 302:
                    with self.lock:
                        self.writes[marker] = (patient_id, phone)
            self.count(status)


class Patient(Client):
    """A patient filling intakes from private links, step by step, while staff work."""

    def __init__(self, *args, tokens: list[str], submitted: set, **kwargs):
        super().__init__(*args, **kwargs)
        self.tokens, self.submitted = tokens, submitted

    def run(self):
        from tests.intake_helpers import ORDER, VALID
        for token in self.tokens:
            # The link's token is swapped for a cookie; the form goes on at /intake/<step>.
            self.count(self.request(f"/i/{token}")[0])
            for step in ORDER:
                if time.monotonic() >= self.stop_at:
                    return
                status, _, page = self.request(f"/intake/{step}")
                self.count(status)
                match = TOKEN_RE.search(page)
                if not match:  # already submitted (a retry after the kill)
                    break
                status, headers, _ = self.request(f"/intake/{step}", VALID[step] | {
                    "csrf_token": match.group(1)})
                self.count(status)
                if status != 302:
                    break
                if headers["Location"].endswith("/done"):  # a retry found it already sent
                    with self.lock:
                        self.submitted.add(token)
                    break
            else:
                self.send(token)

    def send(self, token: str) -> None:
        """The review page's "Send", the only post that submits an intake."""
        if time.monotonic() >= self.stop_at:
            return
        status, _, page = self.request("/intake/review")
        self.count(status)
        match = TOKEN_RE.search(page)
        if not match:
            return
        status, headers, _ = self.request("/intake/review", {"csrf_token": match.group(1)})
        self.count(status)
        if status == 302 and headers["Location"].endswith("/done"):
            with self.lock:
                self.submitted.add(token)


class Gateway(Exception):
    """nginx answered 502 Bad Gateway itself: what a person sees when the app server holding
    their request dies; like a cut connection, the same request is sent again."""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def prepare(url: str, clients: int, patients: int) -> list[str]:
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.accounts.services import create_user
    from tracker.extensions import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="heads")
        users = [create_user(f"load{n}@example.org", PASSWORD, display_name=f"Load {n}",
                             role="reception") for n in range(clients)]
        from datetime import date

        from tracker.intake.services import create_invitation
        from tracker.patients.services import save
        tokens = []
        for n in range(patients * 30):  # more links than a patient can fill in the time
            patient = save(None, {"given_name": "Intake", "family_name": f"P{n}",
                                  "date_of_birth": date(1970, 5, 4)})
            tokens.append(create_invitation(patient, users[0], 14)[1])
        db.session.commit()
        db.engine.dispose()
        return tokens


def verify(url: str, writes: dict, submitted: set) -> list[str]:
    problems = []
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        from tracker.security import token_hash
        intakes = conn.execute(sa.text(
            "SELECT i.id, i.status, v.token_hash, (SELECT count(*) FROM measurement m "
            "WHERE m.intake_id = i.id) AS measures FROM intake i "
            "JOIN intake_invitation v ON v.intake_id = i.id")).all()
        by_hash = {r.token_hash: r for r in intakes}
        for token in submitted:
            row = by_hash.get(token_hash(token))
            if row is None or row.status != "submitted" or row.measures != 10:
                problems.append(f"intake {token[:6]}: acknowledged but stored as {row}")
        problems += [f"intake {r.id}: {r.measures} measurements" for r in intakes
                     if r.measures not in (0, 10)]
        rows = conn.execute(sa.text(
            "SELECT id, family_name, phone FROM patient WHERE given_name = 'Load'")).all()
        if url.startswith("sqlite"):
            check = conn.execute(sa.text("PRAGMA integrity_check")).scalar()
            if check != "ok":
                problems.append(f"integrity_check: {check}")
            if conn.execute(sa.text("PRAGMA foreign_key_check")).first():
                problems.append("foreign_key_check found orphans")
    engine.dispose()
    by_marker = Counter(r.family_name for r in rows)
    stored = {r.family_name: (r.id, r.phone) for r in rows}
    for marker, expected in writes.items():
        if by_marker[marker] != 1:
            problems.append(f"{marker}: stored {by_marker[marker]} times")
        elif stored[marker] != expected:
            problems.append(f"{marker}: expected {expected}, stored {stored[marker]}")
    problems += [f"{m}: duplicate" for m, n in by_marker.items() if n > 1 and m not in writes]
    return problems


def phase(kind: str, args, kill: bool) -> bool:
    from bench import behind_nginx
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_database(kind, Path(tmp))
        # Behind nginx: TLS, so Secure cookies stay on, and one trusted proxy hop.
        env = {"TRACKER_SESSION_COOKIE_SECURE": "true",
               "TRACKER_TRUSTED_PROXY_HOPS": str(args.hops)} if args.nginx else {}
        port = free_port(5900 + os.getpid() % 45 * 2)
        # Behind nginx, two instances (deploy/tracker.service twice), each with half the workers.
        # Each started with deploy/tracker.service's gunicorn command line.
        half = max(1, args.workers // 2)
        ports = [port, free_port(port + 1)] if args.nginx else [port]
        servers = [Server(url, p, half, env=env, argv=behind_nginx.unit_command(p, half))
                   for p in ports] if args.nginx else [
            Server(url, port, args.workers, timeout=60, env=env)]
        server = servers[0]  # the one killed
        edge = guesser = None
        try:
            patients = max(1, args.clients // 10)
            tokens = prepare(url, args.clients - patients, patients)
            for s in servers:
                s.start()
            stats, lock, writes, submitted = Counter(), threading.Lock(), {}, set()
            base, route = server.base, None
            if args.nginx:
                edge = behind_nginx.Edge([s.port for s in servers])
                base, route = edge.route.base, edge.route
            stop_at = time.monotonic() + args.seconds
            clients = [Client(n, base, stop_at, stats, lock, writes, route=route)
                       for n in range(args.clients - patients)]
            clients += [Patient(1000 + n, base, stop_at, stats, lock, writes, route=route,
                                tokens=tokens[n::patients], submitted=submitted)
                        for n in range(patients)]
            if edge:
                # Staff log in first (argon2: half a second each here), then the clock starts.
                with ThreadPoolExecutor(args.workers) as pool:
                    assert set(pool.map(Client.login, clients[:args.clients - patients])) == {302}
                stop_at = time.monotonic() + args.seconds
                for c in clients:
                    c.stop_at = stop_at
                accounts = [f"load{n}@example.org" for n in range(args.clients - patients)]
                guesser = behind_nginx.Guesser(route, stop_at, accounts, stats, lock)
                guesser.start()
            for c in clients:
                c.start()
            if kill:
                time.sleep(args.seconds / 2)
                if edge:
                    edge.mark("killed")
                server.kill()
                # Restarted as systemd would (Restart=on-failure, RestartSec=2); behind nginx
                # the other instance serves everyone meanwhile.
                time.sleep(2 if edge else 1)
                server.start()
                if edge:
                    edge.mark("restarted")
            for c in clients:
                c.join()
            edge_problems, edge_summary = [], ""
            if edge:
                guesser.join()
                edge_problems = edge.after(stats)
                edge_problems += edge.failover([s.port for s in servers], kill)
            for s in servers:
                s.stop()
            problems = verify(url, writes, submitted)
            if edge:
                more, edge_summary = behind_nginx.Edge.verify(url, guesser)
                problems += edge_problems + more + behind_nginx.check_unit()
                edge_summary += "; " + edge.traffic
        finally:
            for s in servers:
                s.stop()
            if edge:
                edge.stop()
            drop_database(url)
    label = f"{kind}, {args.workers} workers, {args.clients} clients, {args.seconds:.0f} s" + (
        (", SIGKILL of one instance mid-load" if args.nginx else ", SIGKILL mid-load")
        if kill else "") + (
        f", behind nginx (two gunicorn instances of {max(1, args.workers // 2)} workers, TLS, "
        f"{args.hops} trusted hop{'s' if args.hops != 1 else ''}, "
        "a guesser on its own address)" if args.nginx else "")
    total = sum(v for k, v in stats.items() if k.endswith("xx"))
    print(f"{label}: {total} requests ({total / args.seconds:.0f}/s), "
          f"{dict(sorted(stats.items()))}, {len(writes)} acknowledged creates, "
          f"{len(submitted)} intakes submitted; "
          f"{'OK' if not problems and not stats['5xx'] else 'PROBLEMS'}")
    if edge_summary:
        print("  behind nginx:", edge_summary)
    for p in problems[:20]:
        print("  -", p)
    return not problems and not stats["5xx"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--nginx", action="store_true",
                        help="through nginx with deploy/nginx.conf, each client on its own "
                             "address, plus a password and link guesser (bench/behind_nginx.py)")
    parser.add_argument("--hops", type=int, default=1,
                        help="TRACKER_TRUSTED_PROXY_HOPS behind nginx (0 shows the old lockout)")
    parser.add_argument("--no-kill", action="store_true",
                        help="behind nginx: leave both instances running")
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    # Behind nginx one run, with one of the two instances killed mid-load (unless --no-kill).
    kills = ((not args.no_kill),) if args.nginx else (False, True)
    results = [phase(kind, args, kill) for kind in kinds for kill in kills]
    sys.exit(0 if all(results) else 1)  # every phase runs, even after a failure


if __name__ == "__main__":
    main()
