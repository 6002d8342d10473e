"""The one way the bench scripts run the app under gunicorn: for a database URL, on a local port,
answering /healthz before `start` returns; stopped (SIGTERM) or killed (SIGKILL) as a whole.

    with Server(url, free_port(5300), workers=2) as server:
        ...  # requests to server.base; server.pid for the workers' CPU time
"""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"


def free_port(first: int) -> int:
    """`first` or the next port up that nothing holds. Callers start below the ephemeral range:
    there a client retrying a killed server's port cannot connect to itself and hold it."""
    for port in range(first, first + 100):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {first}")


class Server:
    """gunicorn with `workers` workers on 127.0.0.1:`port`, or `argv` as given (e.g. the deploy
    unit's command line, bench/behind_nginx.py). `env` is added to the bench's own; gunicorn's
    stderr goes to `log` (a path) if given. `pid` is gunicorn's master: its children are the
    workers. It can be started again after `kill`, on the same port."""

    def __init__(self, url: str, port: int, workers: int = 2, *, timeout: int = 30,
                 argv: list[str] | None = None, env: dict | None = None,
                 log: str | None = None):
        self.url, self.port, self.workers = url, port, workers
        self.argv = argv or [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b",
                             f"127.0.0.1:{port}", "--timeout", str(timeout), "wsgi:app"]
        # Plain HTTP here, so the session cookie must not be Secure-only (unless env says so).
        self.env = os.environ | {"TRACKER_DATABASE_URL": url, "TRACKER_SECRET_KEY": SECRET,
                                 "TRACKER_SESSION_COOKIE_SECURE": "false"} | (env or {})
        self.log_path, self.log = log, None
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self, wait: float = 30) -> "Server":
        if self.log is None:
            self.log = open(self.log_path or os.devnull, "w")  # noqa: SIM115 (closed in stop)
        # Its own process group, so stop and kill reach the workers too.
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=self.log, start_new_session=True)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2)  # noqa: S310
                return self
            except OSError:
                time.sleep(0.05)
        code = self.proc.poll()
        self.stop()
        raise RuntimeError(f"gunicorn on port {self.port} did not answer /healthz"
                           + (f" (exited {code})" if code is not None else ""))

    def kill(self) -> None:
        """SIGKILL, as a crash would: no graceful shutdown."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.log is not None:
            self.log.close()
            self.log = None

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
