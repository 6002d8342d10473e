"""The load test behind a real nginx (`make deploytest`): the shipped deploy/nginx.conf with TLS
in front of two gunicorn instances, each started with deploy/tracker.service's own command line
and TRACKER_TRUSTED_PROXY_HOPS=1, one of them killed with SIGKILL mid-load and restarted 2 s
later (the unit's RestartSec); every simulated person on their own
loopback address (127.0.0.x staff, 127.0.1.x patients), and a guesser on 127.0.2.66 hammering
wrong passwords and wrong intake links while claiming other addresses in X-Forwarded-For.

Afterwards: the guesser was refused, nobody else was (staff log out and in again during the
attack, patients' links never pause, a new device and the right password get in), every audit
row carries the address of the person who acted (never nginx's, never a forged one), and the
guesser's refused attempts left at most one audit row per throttle key and window. From nginx's
access log (its upstream fields): both instances served before the kill and the other one
answered while the killed one was down; `systemd-analyze verify` finds nothing to say about the
unit.

nginx runs from a temporary directory (`nginx -e -p -c`, non-root ports, pid, logs and temp
files inside it, `daemon off`); no system service is touched."""
import http.client
import os
import random
import re
import shlex
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx.conf"
UNIT = ROOT / "deploy" / "tracker.service"
GUESSER = "127.0.2.66"
NEW_DEVICE = "127.0.3.1"
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def unit_command(port: int, workers: int) -> list[str]:
    """deploy/tracker.service's own gunicorn command line, with this checkout's Python, the test's
    port and worker count (each instance runs exactly what the unit runs)."""
    text = UNIT.read_text().replace("\\\n", " ")
    line = re.search(r"^ExecStart=(.*)$", text, re.M)
    assert line, "deploy/tracker.service has no ExecStart"
    argv = shlex.split(line.group(1))
    assert argv[0].endswith("/gunicorn"), argv[0]
    for flag, value in (("--bind", f"127.0.0.1:{port}"), ("--workers", str(workers))):
        assert flag in argv, f"deploy/tracker.service's gunicorn has no {flag}"
        argv[argv.index(flag) + 1] = value
    return [sys.executable, "-m", "gunicorn", *argv[1:]]


def check_unit() -> list[str]:
    """`systemd-analyze verify` on the unit (its gunicorn path pointed at this checkout's), when
    systemd's tools are installed; any complaint is a problem."""
    tool = shutil.which("systemd-analyze")
    if not tool:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        unit = Path(tmp) / "tracker.service"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        unit.write_text(UNIT.read_text().replace("/srv/tracker/venv/bin/gunicorn", str(gunicorn)))
        done = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True)
    said = (done.stdout + done.stderr).strip()
    return [f"systemd-analyze verify deploy/tracker.service: {said}"] if said else []


def address(n: int) -> str:
    """Each simulated person's own client address: staff n, patients 1000 + n."""
    if n >= 1000:
        return f"127.0.1.{n - 999}"
    assert n < 240, "at most 240 staff clients behind nginx"
    return f"127.0.0.{10 + n}"


class BoundHTTPS(urllib.request.HTTPSHandler):
    """HTTPS from a chosen loopback address, so nginx sees each client as a different peer."""

    def __init__(self, source: str, context: ssl.SSLContext):
        super().__init__(context=context)
        self.source = source

    def https_open(self, req):
        return self.do_open(http.client.HTTPSConnection, req, context=self._context,
                            source_address=(self.source, 0))


class Route:
    """How the load test's clients reach the app through nginx."""

    def relogs(self, n: int, i: int) -> bool:
        """Whether staff client n logs out and in again at its i-th action: every tenth client
        (load0, the guesser's favourite, among them) every 10 actions; a login costs half a
        second of argon2 on this machine, so not everyone."""
        return n % 10 == 0 and i % 10 == 0

    def __init__(self, base: str, context: ssl.SSLContext):
        self.base, self.context = base, context
        # nginx passes Host as `$host` (no port, as on 443), so the app's origin has no port.
        self.referer = "https://127.0.0.1/"

    def handlers(self, n: int) -> list:
        return [BoundHTTPS(address(n), self.context)]

    def opener(self, source: str):
        from bench.loadtest import NoRedirect
        return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()),
                                           NoRedirect(), BoundHTTPS(source, self.context))

    def send(self, opener, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body,
                                     headers={"Referer": self.referer} | (headers or {}))
        try:
            with opener.open(req, timeout=30) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(errors="replace")

    def log_in(self, source: str, email: str, password: str, headers: dict | None = None):
        opener = self.opener(source)
        _, page = self.send(opener, "/login")
        token = TOKEN_RE.search(page).group(1)
        return self.send(opener, "/login", {"csrf_token": token, "email": email,
                                            "password": password}, headers)


class Guesser(threading.Thread):
    """Wrong passwords (mostly for load0@, the victim) and wrong intake links, as fast as the
    server answers them with a short breath, each claiming a forged X-Forwarded-For."""

    def __init__(self, route: Route, stop_at: float, accounts: list[str], stats, lock):
        super().__init__(daemon=True)
        self.route, self.stop_at, self.accounts = route, stop_at, accounts
        self.stats, self.lock = stats, lock
        self.targets: set[str] = set()
        self.rng = random.Random(66)

    def bump(self, key: str):
        with self.lock:
            self.stats[key] += 1

    def run(self):
        opener = self.route.opener(GUESSER)
        _, page = self.route.send(opener, "/login")
        token = TOKEN_RE.search(page).group(1)
        i = 0
        while time.monotonic() < self.stop_at:
            i += 1
            forged = {"X-Forwarded-For": self.rng.choice([address(0), f"10.66.{i % 250}.1"])}
            if i % 3 == 0:
                status, _ = self.route.send(opener, f"/i/guess-{self.rng.getrandbits(128):x}",
                                            headers=forged)
                self.bump(f"guesser link {status}")
            else:
                email = self.accounts[0] if i % 4 else self.rng.choice(
                    self.accounts + [f"nobody{i}@example.org"])
                self.targets.add(email)
                status, page = self.route.send(opener, "/login", {
                    "csrf_token": token, "email": email, "password": f"wrong guess {i}"}, forged)
                self.bump("guesser refused" if "Too many failed attempts" in page
                          else "guesser checked" if "do not match" in page
                          else f"guesser login {status}")
            time.sleep(0.05)


class Edge:
    """nginx from deploy/nginx.conf in a temporary directory, TLS with a throwaway certificate,
    proxying to the gunicorn instances on `app_ports` (its upstream's servers replaced)."""

    def __init__(self, app_ports: list[int]):
        app_port = app_ports[0]
        self.marks: dict[str, int] = {}
        self.traffic = ""
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise SystemExit("nginx is not installed (Debian: apt-get install -y nginx)")
        self.dir = Path(tempfile.mkdtemp(prefix="tracker-nginx-"))
        self.dir.chmod(0o755)  # nginx's workers (nobody, when started as root) use temp dirs here
        self.port = app_port + 200
        cert, key = self.dir / "cert.pem", self.dir / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)], check=True,
                       capture_output=True)
        (self.dir / "conf").write_text(self.config(app_ports, cert, key))
        self.proc = subprocess.Popen(
            [nginx, "-e", str(self.dir / "error.log"), "-p", str(self.dir),
             "-c", str(self.dir / "conf")], start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        context = ssl.create_default_context(cafile=str(cert))
        self.route = Route(f"https://127.0.0.1:{self.port}", context)
        for _ in range(200):
            try:
                urllib.request.urlopen(self.route.base + "/healthz", timeout=2,  # noqa: S310
                                       context=context)
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("nginx did not start: " + self.proc.stderr.read().decode()
                                       + (self.dir / "error.log").read_text()) from None
                time.sleep(0.05)
        raise RuntimeError("nginx did not answer")

    def config(self, app_ports: list[int], cert: Path, key: Path) -> str:
        """The shipped site file with only its addresses, certificate and log path replaced."""
        app_port = app_ports[0]
        site = SITE.read_text()
        upstream = re.search(r"upstream tracker_app \{(.*?)\}", site, re.S)
        assert upstream, "deploy/nginx.conf no longer has its tracker_app upstream"
        shipped = re.findall(r"server 127\.0\.0\.1:\d+", upstream.group(1))
        assert len(shipped) == len(app_ports), f"deploy/nginx.conf's upstream has {shipped}"
        for old, port in zip(shipped, app_ports, strict=True):
            site = site.replace(old + " ", f"server 127.0.0.1:{port} ", 1)
        for pattern, replacement in [
                (r"\n *listen \[::\]:\d+[^;]*;", ""),  # no IPv6 in the test
                (r"listen 80;", f"listen 127.0.0.1:{app_port + 300};"),
                (r"listen 443 ssl", f"listen 127.0.0.1:{self.port} ssl"),
                (r"ssl_certificate +\S+;", f"ssl_certificate {cert};"),
                (r"ssl_certificate_key +\S+;", f"ssl_certificate_key {key};"),
                (r"/var/log/nginx/tracker\.access\.log", str(self.dir / "access.log"))]:
            site, count = re.subn(pattern, replacement, site)
            assert count, f"deploy/nginx.conf no longer has {pattern!r}"
        temp = "\n".join(f"    {kind}_temp_path {self.dir}/{kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
        return (f"{user}worker_processes 2;\npid {self.dir}/nginx.pid;\ndaemon off;\n"
                f"error_log {self.dir}/error.log warn;\nevents {{ worker_connections 1024; }}\n"
                f"http {{\n{temp}\n{site}\n}}\n")

    def after(self, stats) -> list[str]:
        """With the guesser done: a new device gets into the victim's account with the right
        password, and the guesser, even with the right password, still waits."""
        from bench.loadtest import PASSWORD
        problems = []
        status, _ = self.route.log_in(NEW_DEVICE, "load0@example.org", PASSWORD)
        if status != 302:
            problems.append(f"a new device could not log in as load0 ({status})")
        _, page = self.route.log_in(GUESSER, "load0@example.org", PASSWORD)
        if "Too many failed attempts" not in page:
            problems.append("the guesser was not refused with the right password")
        if not stats["guesser refused"]:
            problems.append("the guesser was never refused")
        if stats["relogin refused"] or not stats["relogin ok"]:
            problems.append(f"staff logins refused under attack: {stats['relogin refused']} "
                            f"(of {stats['relogin ok'] + stats['relogin refused']})")
        if stats["429 (paused)"]:
            problems.append(f"{stats['429 (paused)']} pages paused for staff or patients")
        return problems

    @staticmethod
    def verify(url: str, guesser: Guesser) -> tuple[list[str], str]:
        """Every audit row's address is the person's own; the guesser's refusals are audited
        once per throttle key (the run is shorter than one window)."""
        problems = []
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT ip, user_email, action FROM audit_entry WHERE ip != ''")).all()
        engine.dispose()
        staff = re.compile(r"load(\d+)@example\.org")
        wrong = []
        for row in rows:
            match = staff.fullmatch(row.user_email)
            if row.action in ("login_failed", "login_throttled"):
                expected = {GUESSER}
            elif row.user_email.startswith("patient"):
                expected = {row.ip} if row.ip.startswith("127.0.1.") else {"127.0.1.x"}
            elif match:
                expected = {address(int(match.group(1)))} | (
                    {NEW_DEVICE} if match.group(1) == "0" else set())
            else:
                expected = {"?"}
            if row.ip not in expected:
                wrong.append(f"{row.action} by {row.user_email} from {row.ip}")
        problems += [f"audit address: {w}" for w in wrong[:10]]
        if len(wrong) > 10:
            problems.append(f"... {len(wrong)} audit rows with a wrong address")
        throttled = sum(r.action == "login_throttled" for r in rows)
        # One refusal marker per key: the guesser's (account, client) pairs and its address.
        if throttled > len(guesser.targets) + 1:
            problems.append(f"{throttled} throttled-login audit rows for "
                            f"{len(guesser.targets)} accounts")
        by_ip = {}
        for row in rows:
            kind = ("nginx" if row.ip == "127.0.0.1" else "guesser" if row.ip == GUESSER
                    else "patients" if row.ip.startswith("127.0.1.") else "staff")
            by_ip[kind] = by_ip.get(kind, 0) + 1
        summary = (f"audit rows by address {by_ip}, {throttled} throttled-login rows for "
                   f"{len(guesser.targets)} targeted accounts")
        return problems, summary

    def mark(self, name: str) -> None:
        """Remember where the access log is (nginx writes each line as the request ends)."""
        self.marks[name] = len(self.access_lines())

    def access_lines(self) -> list[str]:
        path = self.dir / "access.log"
        return path.read_text().splitlines() if path.exists() else []

    def failover(self, ports: list[int], killed: bool) -> list[str]:
        """From the access log: both instances served before the kill; while the killed one was
        down, the other answered; nginx's own 502s (posts the dead instance had taken) are the
        clients' retries. Sets `traffic`, a summary of who answered what."""
        lines = self.access_lines()
        cut = [0, self.marks.get("killed", len(lines)), self.marks.get("restarted", len(lines)),
               len(lines)]
        names = {f"127.0.0.1:{p}": f"instance {i + 1}" for i, p in enumerate(ports)}
        spans = []
        for start, end in zip(cut, cut[1:], strict=False):
            answered = dict.fromkeys(names.values(), 0) | {"nginx 502": 0, "moved": 0}
            for line in lines[start:end]:
                # ... "GET /path" STATUS BYTES TIME REQUEST_ID UPSTREAM[, UPSTREAM] STATUS[, ..]
                found = re.search(r'" (\d{3}) \S+ \S+ \S+ (.*)$', line)
                if not found:
                    continue
                status = found.group(1)
                upstreams = [a for a in re.findall(r"127\.0\.0\.1:\d+", found.group(2))
                             if a in names]
                if status == "502":
                    answered["nginx 502"] += 1
                elif upstreams:
                    answered[names[upstreams[-1]]] += 1
                if len(upstreams) > 1:
                    answered["moved"] += 1
            spans.append(answered)
        labels = ["before the kill", "instance 1 down", "after its restart"] if killed else [
            "whole run"]
        self.traffic = "; ".join(f"{label}: {span}" for label, span in zip(
            labels, spans if killed else spans[:1], strict=False))
        problems = []
        if any(not spans[0][n] for n in names.values()):
            problems.append(f"both instances did not serve before the kill: {spans[0]}")
        if killed and not spans[1]["instance 2"]:
            problems.append(f"nobody answered while instance 1 was down: {spans[1]}")
        return problems

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)
        shutil.rmtree(self.dir, ignore_errors=True)
