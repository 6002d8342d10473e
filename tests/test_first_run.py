"""First run under concurrency: setup pages posted at the same moment create exactly one
administrator, on the real test database (an SQLite file, or PostgreSQL with
TRACKER_TEST_DATABASE_URL)."""
import threading

from sqlalchemy import func, select

from tests.conftest import PASSWORD, Client
from tracker.accounts.models import FirstRun, User
from tracker.extensions import db

SETUPS = 6


def _post_setups_at_once(app, n: int) -> list:
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def post(i: int) -> None:
        client = app.test_client()
        client.__class__ = Client
        barrier.wait()
        try:
            response = client.post("/setup", data={
                "display_name": f"Admin {i}", "email": f"admin{i}@example.org",
                "password": PASSWORD, "confirm": PASSWORD})
            results[i] = (response.status_code, response.headers.get("Location", ""))
        except Exception as exc:  # noqa: BLE001  (a crash is a result here)
            results[i] = (repr(exc), "")

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_simultaneous_setups_create_exactly_one_administrator(make_app):
    # A real argon2 cost, so each request spends its time hashing between its check that no one
    # exists yet and its commit, as in production.
    app = make_app(ARGON2_TIME_COST=2, ARGON2_MEMORY_COST=19456)
    results = _post_setups_at_once(app, SETUPS)
    assert all(status == 302 for status, _ in results), results
    winners = [loc for _, loc in results if loc.endswith("/users/")]
    assert len(winners) == 1, results
    assert all(loc.endswith("/login") for _, loc in results if not loc.endswith("/users/"))
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 1
        admin = db.session.execute(select(User)).scalar_one()
        assert admin.role == "admin"
        assert db.session.execute(select(FirstRun.user_id)).scalar_one() == admin.id


def test_setup_after_the_first_administrator_is_gone(make_app):
    app = make_app()
    client = app.test_client()
    client.__class__ = Client
    assert client.post("/setup", data={"display_name": "Ada", "email": "ada@example.org",
                                       "password": PASSWORD, "confirm": PASSWORD}
                       ).status_code == 302
    other = app.test_client()
    other.__class__ = Client
    assert other.get("/setup").status_code == 404
    assert other.post("/setup", data={"display_name": "Eve", "email": "eve@example.org",
                                      "password": PASSWORD, "confirm": PASSWORD}).status_code == 404


def test_the_first_run_row_admits_one_row_only(app):
    """The guard itself: a second first_run row fails in the database, whatever the code does."""
    import pytest
    from sqlalchemy.exc import IntegrityError

    from tests.conftest import make_user
    user_id = make_user(app, "admin")
    with app.app_context():
        db.session.add(FirstRun(id=1, user_id=user_id))
        db.session.commit()
        db.session.add(FirstRun(id=1, user_id=user_id))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.add(FirstRun(id=2, user_id=user_id))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
