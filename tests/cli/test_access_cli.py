"""Signing in on the command line: `qda users`, impersonation refused, roles, raw text for admins only."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from toolkit.cli.main import app
from toolkit.store.engine import create_store, open_store
from toolkit.store.models import AuditEvent

from ..conftest import CODEBOOK, FIXTURES

runner = CliRunner()
PASSWORDS = {
    "olga": "olga's passphrase",
    "alice": "alice's passphrase",
    "bob": "bob's passphrase",
    "vera": "vera's pw!",
}


@pytest.fixture(autouse=True)
def signed_out(monkeypatch):
    monkeypatch.delenv("QDA_USER", raising=False)
    monkeypatch.delenv("QDA_PASSWORD", raising=False)


def qda(url: str, *args: str, user: str | None = None, password: str | None = None, stdin: str | None = None):
    env = {}
    if user:
        env["QDA_USER"] = user
        env["QDA_PASSWORD"] = PASSWORDS[user] if password is None else password
    return runner.invoke(app, ["--db", url, *map(str, args)], env=env, input=stdin)


@pytest.fixture
def study(db_url, blank_nlp) -> str:
    """One transcript, the codebook, and a coding by alice (made before any user existed)."""
    from toolkit.coding.codebook import load_codebook
    from toolkit.corpus.importer import import_files

    store = create_store(db_url)
    import_files(store, [FIXTURES / "interview_basic.txt"], nlp=blank_nlp)
    load_codebook(store, CODEBOOK)
    store.close()
    coded = qda(db_url, "code", "interview_basic", "0", "5", "root_cause.family", "--coder", "alice", "--new-coder")
    assert coded.exit_code == 0, coded.output
    return db_url


@pytest.fixture
def team(study) -> str:
    """The same study with users: olga admin, alice and bob coders, vera viewer."""
    for name, role, by in (
        ("olga", "admin", None),
        ("alice", "coder", "olga"),
        ("bob", "coder", "olga"),
        ("vera", "viewer", "olga"),
    ):
        added = qda(study, "users", "add", name, "--role", role, "--password-stdin", user=by, stdin=PASSWORDS[name])
        assert added.exit_code == 0, added.output
    return study


def events(url: str, action: str) -> list[AuditEvent]:
    store = open_store(url)
    try:
        with store.read() as session:
            return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))
    finally:
        store.close()


def one_line_refusal(result) -> str:
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


def test_access_no_users_behaves_as_before(study):
    assert qda(study, "users", "list").output.startswith("no users")
    assert qda(study, "users", "list", "--json").output == ""
    result = qda(study, "uncode", "1", "--coder", "alice")  # nobody signed in, nobody asked
    assert result.exit_code == 0, result.output
    shown = qda(study, "show", "interview_basic", "--raw", "--actor", "me")
    assert shown.exit_code == 0, shown.output


def test_access_someone_else_cannot_uncode_as_alice(team):
    refused = one_line_refusal(qda(team, "uncode", "1", "--coder", "alice", user="bob"))
    assert "[E150]" in refused and "cannot act as alice" in refused
    assert "[E150]" in one_line_refusal(qda(team, "uncode", "1", "--coder", "alice"))  # not signed in
    wrong = one_line_refusal(qda(team, "uncode", "1", "--coder", "alice", user="alice", password="guess"))
    assert "wrong user name or password" in wrong
    assert not events(team, "coding.remove")
    done = qda(team, "uncode", "1", "--coder", "alice", user="alice")
    assert done.exit_code == 0, done.output


def test_access_password_is_prompted_when_not_in_the_environment(team):
    result = runner.invoke(
        app,
        ["--db", team, "code", "interview_basic", "0", "5", "root_cause.family", "--coder", "bob"],
        env={"QDA_USER": "bob"},
        input=PASSWORDS["bob"] + "\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORDS["bob"] not in result.output  # the prompt hides what is typed


def test_access_admin_may_act_for_a_coder_and_the_trail_names_both(team):
    result = qda(
        team,
        "memo",
        "add",
        "Said by alice in a meeting.",
        "--coder",
        "alice",
        "--document",
        "interview_basic",
        user="olga",
    )
    assert result.exit_code == 0, result.output
    [event] = events(team, "memo.add")
    assert event.actor == "alice" and event.after["signed_in"] == "olga"


def test_access_roles_too_low_are_refused(team):
    viewer = one_line_refusal(
        qda(team, "code", "interview_basic", "0", "5", "root_cause.family", "--coder", "vera", user="vera")
    )
    assert "vera is a viewer; this needs the coder role" in viewer
    assert "reviewer role" in one_line_refusal(qda(team, "review", "--coder", "bob", user="bob"))
    codebook = qda(team, "codebook", "add", "x.y", "--name", "x", "--definition", "y", "--by", "vera", user="vera")
    assert "coder role" in one_line_refusal(codebook)
    users = qda(
        team, "users", "add", "eve", "--role", "coder", "--password-stdin", user="bob", stdin="eve's passphrase"
    )
    assert "admin role" in one_line_refusal(users)
    assert "coder role" in one_line_refusal(qda(team, "undo", "--coder", "vera", user="vera"))
    assert "coder role" in one_line_refusal(qda(team, "codebook", "load", CODEBOOK, user="vera"))
    assert "admin role" in one_line_refusal(qda(team, "import", FIXTURES / "interview_crlf.txt", user="alice"))
    assert "admin role" in one_line_refusal(qda(team, "blind", "on", user="alice"))
    assert "reviewer role" in one_line_refusal(qda(team, "suggest", user="alice"))


def test_access_raw_text_needs_an_admin_and_is_audited_with_them(team):
    for user in ("vera", "alice"):
        assert "admin role" in one_line_refusal(qda(team, "show", "interview_basic", "--raw", user=user))
        assert "admin role" in one_line_refusal(qda(team, "codings", "export", "--raw", user=user))
        assert "admin role" in one_line_refusal(qda(team, "deid", "mapping", "--actor", user, user=user))
    plain = qda(team, "show", "interview_basic", user="vera")  # de-identified text needs no sign-in check
    assert plain.exit_code == 0, plain.output
    raw = qda(team, "show", "interview_basic", "--raw", user="olga")
    assert raw.exit_code == 0, raw.output
    assert [e.actor for e in events(team, "text.raw")] == ["olga"]


@pytest.mark.parametrize(
    "command",
    [
        ("search", "passport", "--raw"),
        ("memo", "list", "--raw"),
        ("memo", "search", "passport", "--raw"),
        ("memo", "export", "--raw"),
        ("audit", "--raw"),
        ("export", "--format", "qdpx", "--raw", "OUT"),
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_access_every_raw_flag_needs_an_admin(team, tmp_path, command):
    command = tuple(str(tmp_path / "out.qdpx") if part == "OUT" else part for part in command)
    assert "admin role" in one_line_refusal(qda(team, *command, user="alice"))
    assert qda(team, *command, user="olga").exit_code == 0


def test_access_users_commands(team):
    listed = qda(team, "users", "list", "--json", user="olga")
    assert listed.exit_code == 0, listed.output
    import json

    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [(r["name"], r["role"]) for r in rows] == [
        ("alice", "coder"),
        ("bob", "coder"),
        ("olga", "admin"),
        ("vera", "viewer"),
    ]
    assert "admin role" in one_line_refusal(qda(team, "users", "list", user="vera"))
    assert qda(team, "users", "role", "vera", "reviewer", user="olga").exit_code == 0
    assert "only admin" in one_line_refusal(qda(team, "users", "remove", "olga", user="olga"))
    own = qda(team, "users", "password", "bob", "--password-stdin", user="bob", stdin="bob's new passphrase")
    assert own.exit_code == 0, own.output
    assert "admin role" in one_line_refusal(
        qda(
            team,
            "users",
            "password",
            "alice",
            "--password-stdin",
            user="bob",
            password="bob's new passphrase",
            stdin="taken over!",
        )
    )
    assert "admin role" in one_line_refusal(
        qda(team, "users", "email", "bob", "bob@ngo.example", user="bob", password="bob's new passphrase")
    )
    emailed = qda(team, "users", "email", "bob", "Bob@NGO.example", user="olga")
    assert emailed.exit_code == 0, emailed.output
    listed = [json.loads(line) for line in qda(team, "users", "list", "--json", user="olga").output.splitlines()]
    assert {r["name"]: r["email"] for r in listed}["bob"] == "bob@ngo.example"
    assert "bob has the email" in one_line_refusal(qda(team, "users", "email", "vera", "bob@ngo.example", user="olga"))
    assert qda(team, "users", "email", "bob", user="olga").exit_code == 0  # no address: cleared
    listed = [json.loads(line) for line in qda(team, "users", "list", "--json", user="olga").output.splitlines()]
    assert {r["name"]: r["email"] for r in listed}["bob"] is None
    assert qda(team, "users", "remove", "bob", user="olga").exit_code == 0
    assert "wrong user name" in one_line_refusal(
        qda(team, "undo", "--coder", "bob", user="bob", password="bob's new passphrase")
    )
