"""Rows that only ever grew: failed attempts older than any throttle window, and logins long
over, are deleted as new ones are recorded (no cron job needed)."""
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import make_user
from tracker import throttle
from tracker.accounts.models import ThrottleEvent
from tracker.extensions import db
from tracker.timeutil import as_utc, utcnow


def test_old_failures_go_when_a_new_one_is_recorded(app, client):
    make_user(app, "practitioner")  # past first-run setup
    with app.app_context():
        old = utcnow() - timedelta(minutes=throttle.KEEP_MINUTES + 1)
        recent = utcnow() - timedelta(minutes=10)
        db.session.add_all([ThrottleEvent(key="login-ip:10.0.0.9", at=old),
                            ThrottleEvent(key="intake-ip:10.0.0.9", at=old),
                            ThrottleEvent(key="login-ip:10.0.0.9", at=recent)])
        db.session.commit()
    # a failed login records a failure through the app, as a worker would
    client.post("/login", data={"email": "nobody@example.org", "password": "not a password"})
    with app.app_context():
        kept = db.session.scalars(select(ThrottleEvent.at)).all()
        # the recent one, and this login's three counts: the account from this client, the
        # account from any client, this client (per-person limits, issue 13)
        assert len(kept) == 1 + 3
        assert min(as_utc(at) for at in kept) >= recent - timedelta(seconds=1)
        assert throttle.failures("login-ip:10.0.0.9", 15) == 1  # recent failures still count


def test_logins_long_over_are_deleted_at_the_next_login(app, client, auth):
    from tracker.accounts import sessions
    from tracker.accounts.models import LoginSession
    user_id = make_user(app, "practitioner")
    with app.app_context():
        old = utcnow() - sessions.KEEP - timedelta(minutes=1)
        db.session.add_all([LoginSession(token_hash="a" * 64, user_id=user_id, created_at=old,
                                         last_seen_at=old),
                            LoginSession(token_hash="b" * 64, user_id=user_id,
                                         created_at=utcnow() - timedelta(days=2))])
        db.session.commit()
    auth.login("practitioner")
    with app.app_context():
        kept = db.session.scalars(select(LoginSession.token_hash)).all()
        assert "a" * 64 not in kept and "b" * 64 in kept and len(kept) == 2
