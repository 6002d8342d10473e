"""Statement time limits the database cannot enforce by itself (config DATABASE_*_TIMEOUT).

PostgreSQL cancels a statement past `statement_timeout` itself (config.engine_options), but a
frozen server (stopped, its disk hung) cancels nothing, and a pooled connection would wait for
it for ever. A watchdog thread closes the socket of any statement still unanswered a moment
after the limit; the driver then fails that statement as a lost connection, the pool drops the
connection, and the request answers 503 (failures.py). SQLite has no statement timeout: a
progress handler interrupts a statement past the limit.
"""
import os
import socket
import threading
import time

from sqlalchemy import event

GRACE = 2.0  # seconds past the limit before the socket is closed (the server's own cancel first)


class Watchdog:
    def __init__(self):
        self.armed: dict[int, tuple[float, int]] = {}
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.pid = None

    def arm(self, connection, seconds: float) -> None:
        try:
            fd = connection.pgconn.socket
        except Exception:  # noqa: BLE001  (closed or not yet connected: nothing to watch)
            return
        with self.lock:
            self.armed[id(connection)] = (time.monotonic() + seconds, fd)
            if self.thread is None or self.pid != os.getpid():  # started anew after a fork
                self.pid = os.getpid()
                self.thread = threading.Thread(target=self.run, name="db-watchdog", daemon=True)
                self.thread.start()

    def disarm(self, connection) -> None:
        with self.lock:
            self.armed.pop(id(connection), None)

    def run(self) -> None:
        while True:
            time.sleep(0.2)
            now = time.monotonic()
            with self.lock:
                late = [(key, fd) for key, (deadline, fd) in self.armed.items() if now > deadline]
                for key, _ in late:
                    del self.armed[key]
            for _, fd in late:
                try:
                    sock = socket.socket(fileno=os.dup(fd))
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                except OSError:
                    pass


WATCHDOG = Watchdog()


def limit_statements(engine, seconds: float) -> None:
    """Hold every statement of this engine (and the pool's pre-ping) to `seconds`."""
    if engine.dialect.name == "sqlite":
        _sqlite(engine, seconds)
    elif engine.dialect.name == "postgresql":
        _postgresql(engine, seconds + GRACE)


def _postgresql(engine, seconds: float) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):
        WATCHDOG.arm(conn.connection.dbapi_connection, seconds)

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(conn, cursor, statement, parameters, context, executemany):
        WATCHDOG.disarm(conn.connection.dbapi_connection)

    @event.listens_for(engine, "handle_error")
    def _failed(context):
        if context.connection is not None and context.connection.connection is not None:
            WATCHDOG.disarm(context.connection.connection.dbapi_connection)

    dialect = engine.dialect
    ping = dialect.do_ping

    def do_ping(dbapi_connection):
        WATCHDOG.arm(dbapi_connection, seconds)
        try:
            return ping(dbapi_connection)
        finally:
            WATCHDOG.disarm(dbapi_connection)
    dialect.do_ping = do_ping


def _sqlite(engine, seconds: float) -> None:
    @event.listens_for(engine, "connect")
    def _handler(dbapi_connection, connection_record):
        info = connection_record.info
        dbapi_connection.set_progress_handler(
            lambda: int(time.monotonic() > info.get("deadline", float("inf"))), 10000)

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn, cursor, statement, parameters, context, executemany):
        conn.info["deadline"] = time.monotonic() + seconds

    @event.listens_for(engine, "after_cursor_execute")
    def _stop(conn, cursor, statement, parameters, context, executemany):
        conn.info.pop("deadline", None)

    @event.listens_for(engine, "handle_error")
    def _failed(context):
        if context.connection is not None:
            context.connection.info.pop("deadline", None)
