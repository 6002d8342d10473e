"""Redirects to a user-supplied target (`?next=`) go through one helper, security.safe_next:
same-site relative paths only, never another site, never a header broken by a control character."""
import ast
from pathlib import Path

import pytest

from tests import factories
from tests.test_sessions import open_record, payload
from tests.test_sessions import world as world  # noqa: F401  (the fixture)
from tracker.extensions import db
from tracker.security import safe_next
from tracker.sessions.models import SessionRecord

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "/\t/evil.example/",
    "http:/evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    " /patients/",
    "evil.example/",
    "/patients/\r\nSet-Cookie: x=1",
    "/patients/\nLocation: https://evil.example/",
    "/\x00/evil.example",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("target", HOSTILE)
def test_safe_next_refuses_anything_but_a_local_path(target):
    assert safe_next(target, "/fallback") == "/fallback"


@pytest.mark.parametrize("target", ["/", "/patients/?q=ana&sort=name", "/sessions/4/edit",
                                    "/patients/%2F%2Fevil", "/week?start=2026-12-07"])
def test_safe_next_keeps_a_local_path(target):
    assert safe_next(target, "/fallback") == target


@pytest.mark.parametrize("target", HOSTILE[:13])
def test_login_never_redirects_off_site(app, client, target):
    factories_user(app)
    response = client.post("/login", query_string={"next": target},
                           data={"email": "mei@example.org", "password": factories.PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next(app, client):
    factories_user(app)
    response = client.post("/login?next=/patients/%3Fq%3Dana",
                           data={"email": "mei@example.org", "password": factories.PASSWORD})
    assert response.headers["Location"] == "/patients/?q=ana"


def factories_user(app):
    with app.app_context():
        factories.practitioner("mei@example.org")
        db.session.commit()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "/\\evil.example/", "javascript:alert(1)"])
def test_signing_a_session_never_redirects_off_site(app, client, world, target):  # noqa: F811
    session_id, page = open_record(client, world)
    response = client.post(f"/sessions/{session_id}/edit", query_string={"next": target},
                           data=payload(page, action="sign"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    with app.app_context():
        assert db.session.get(SessionRecord, session_id).signed


def test_a_crlf_next_after_signing_is_a_redirect_home_not_a_500(app, client, world):  # noqa: F811
    session_id, page = open_record(client, world)
    response = client.post(f"/sessions/{session_id}/edit?next=/x%0D%0ASet-Cookie:%20a=b",
                           data=payload(page, action="sign"))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "a=b" not in response.headers.get("Set-Cookie", "")
    with app.app_context():
        assert db.session.get(SessionRecord, session_id).signed


def test_signing_follows_a_local_next(client, world):  # noqa: F811
    session_id, page = open_record(client, world)
    response = client.post(f"/sessions/{session_id}/edit?next=/week",
                           data=payload(page, action="sign"))
    assert response.headers["Location"] == "/week"


def _reads_request(node: ast.AST) -> bool:
    """Whether an expression passes on something from the request (a comparison with it is a
    choice between the app's own URLs, not a target)."""
    if isinstance(node, ast.Compare):
        return False
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and node.value.id == "request":
        return True
    return any(_reads_request(child) for child in ast.iter_child_nodes(node))


def test_every_redirect_to_a_request_value_goes_through_safe_next():
    """A new view that redirects to `request.args[...]`, a form value or the Referer without
    the helper fails here."""
    unsafe = []
    for path in sorted((ROOT / "tracker").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "redirect"
                    and node.args):
                continue
            target = node.args[0]
            if isinstance(target, ast.Call) and getattr(target.func, "id", None) == "safe_next":
                continue
            if _reads_request(target):
                unsafe.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert unsafe == []
