"""A database URL's password never appears in output, errors or logs.

The test server trusts every local connection, so a wrong password is accepted there; a genuine
"password authentication failed" comes from a minimal stand-in server below that asks for the
password, receives it, and refuses it.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import Tracker, pg_base_url

SECRET = "s3cret-Pa55"
SAMPLE = Path(__file__).parent / "sample"
UNREACHABLE = f"postgresql://alice:{SECRET}@127.0.0.1:1/deals"
COMMANDS = [
    ("log",), ("negotiations",), ("verify",), ("export",), ("import", "dump.json"), ("seed",), ("demo",),
    ("record", str(SAMPLE / "negotiation.yaml")), ("show", "latest"), ("db", "upgrade"), ("db", "current"),
    ("db", "downgrade", "base"),
]


def no_secret(result, secret: str = SECRET) -> None:  # type: ignore[no-untyped-def]
    for stream in (result.stdout, result.stderr):
        assert secret not in stream
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_unreachable_server_error_hides_the_password_in_every_command(tmp_path, args):
    from tracker.input.loading import build_negotiation, read_document
    from tracker.model import canonical

    negotiation = build_negotiation(read_document(SAMPLE / "negotiation.yaml")).canonical()
    entry = {"negotiation": negotiation, "hash": canonical.content_hash(negotiation), "drafts": []}
    (tmp_path / "dump.json").write_text(json.dumps({"schema": "tracker.export/v1", "negotiations": [entry]}))
    result = Tracker(UNREACHABLE, tmp_path)(*args)
    assert result.exit_code == 6
    no_secret(result)
    assert result.stderr.count("\n") == 1
    assert "postgresql://alice:***@127.0.0.1:1/deals" in result.stderr


def test_password_stays_hidden_from_the_environment_with_debugging_and_logging_on(tmp_path):
    # A real process, the URL from the environment, TRACKER_DEBUG set and every logger at DEBUG.
    code = (
        "import logging, sys; logging.basicConfig(level=logging.DEBUG, stream=sys.stderr);"
        "logging.getLogger('sqlalchemy').setLevel(logging.DEBUG);"
        "from tracker.cli import main; sys.argv = ['tracker'] + sys.argv[1:]; main()"
    )
    env = {**os.environ, "TRACKER_DB_URL": UNREACHABLE, "TRACKER_DEBUG": "1"}
    result = subprocess.run([sys.executable, "-c", code, "log"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 6
    no_secret(result)


@pytest.mark.parametrize(
    "url, message",
    [
        (f"postgresql://alice:{SECRET}@127.0.0.1:notaport/deals", "invalid database URL 'postgresql://alice:***@127.0.0.1:notaport/deals'"),
        (f"postgresql://alice:{SECRET}@[::1/deals", "invalid database URL 'postgresql://alice:***@[::1/deals'"),
        (f"postgresql://alice:{SECRET[:4]}@{SECRET[4:]}@127.0.0.1:1/deals",
         "invalid database URL 'postgresql://alice:***@127.0.0.1:1/deals': write '@' in a user name or password as %40"),
        (f"alice:{SECRET}@127.0.0.1/deals", "invalid database URL 'alice:***@127.0.0.1/deals'"),
        (f"mysql://alice:{SECRET}@127.0.0.1/deals", "unsupported database 'mysql' (use sqlite or postgresql)"),
        (f"postgresql+nosuch://alice:{SECRET}@127.0.0.1/deals", "unsupported database URL 'postgresql+nosuch://alice:***@127.0.0.1/deals'"),
        (f"postgresql://alice@127.0.0.1:1/deals?password={SECRET}",
         "cannot open postgresql://alice@127.0.0.1:1/deals?password=***: connection failed: "
         'connection to server at "127.0.0.1", port 1 failed: Connection refused'),
    ],
)
def test_malformed_urls_are_one_line_errors_without_the_password(tmp_path, url, message):
    result = Tracker(url, tmp_path)("log")
    assert (result.exit_code, result.stderr) == (6, f"Error: {message}\n")
    no_secret(result, SECRET[4:])


def test_split_secret_parts_never_leak_from_an_ambiguous_url():
    from tracker.db.engine import redact, scrub

    url = f"postgresql://alice:{SECRET[:4]}@{SECRET[4:]}@db.example/deals"
    assert redact(url) == "postgresql://alice:***@db.example/deals"
    assert scrub(f"host '{SECRET[4:]}@db.example' and {SECRET[:4]}", url) == "host '***@db.example' and ***"


# --- against the real PostgreSQL ----------------------------------------------------------


def _with_password(url: str, password: str, user: str | None = None) -> str:
    scheme, _, rest = url.partition("://")
    userinfo, _, host = rest.rpartition("@")
    name = user or userinfo.split(":")[0] or "postgres"
    return f"{scheme}://{name}:{password}@{host or rest}"


@pytest.mark.parametrize(
    "user, database, message",
    [
        ("no_such_role", None, 'FATAL: role "no_such_role" does not exist'),
        (None, "no_such_database", 'FATAL: database "no_such_database" does not exist'),
    ],
)
def test_server_rejecting_the_connection_hides_the_password(tmp_path, pg_schemas, user, database, message):
    url = _with_password(pg_base_url(), SECRET, user)
    if database:
        url = url.rsplit("/", 1)[0] + f"/{database}"
    result = Tracker(url, tmp_path)("log")
    assert result.exit_code == 6
    assert result.stderr.startswith("Error: cannot open ") and result.stderr.endswith(f"{message}\n")
    assert ":***@" in result.stderr
    no_secret(result)


def test_wrong_password_accepted_by_a_trusting_server_is_still_never_shown(tmp_path, pg_schemas):
    url = _with_password(pg_schemas.new(migrate=False), SECRET)
    tracker = Tracker(url, tmp_path)
    not_set_up = tracker("log")
    assert not_set_up.exit_code == 6 and not_set_up.stderr.endswith("is not set up; run `tracker db upgrade`\n")
    no_secret(not_set_up)
    for args in (("db", "upgrade"), ("demo",), ("export", "-o", "dump.json"), ("verify",), ("db", "current")):
        result = tracker.ok(*args)
        no_secret(result)
    assert ":***@" in tracker.ok("db", "upgrade").stdout
    assert SECRET not in (tmp_path / "dump.json").read_text()


class _PasswordServer:
    """Speaks just enough of the PostgreSQL protocol to demand a password and refuse it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.received: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    self._handle(conn)
                except (OSError, struct.error):
                    pass

    def _handle(self, conn: socket.socket) -> None:
        while True:
            length, code = struct.unpack("!II", _read(conn, 8))
            body = _read(conn, length - 8)
            if code in (80877103, 80877104):  # SSL / GSS encryption request: not here
                conn.sendall(b"N")
                continue
            user = body.split(b"user\x00", 1)[1].split(b"\x00", 1)[0].decode()
            break
        conn.sendall(b"R" + struct.pack("!II", 8, 3))  # AuthenticationCleartextPassword
        _read(conn, 1)  # the message type: a password
        length = struct.unpack("!I", _read(conn, 4))[0]
        self.received.append(_read(conn, length - 4).rstrip(b"\x00").decode())
        fields = b"SFATAL\x00VFATAL\x00C28P01\x00" + f'Mpassword authentication failed for user "{user}"'.encode() + b"\x00\x00"
        conn.sendall(b"E" + struct.pack("!I", len(fields) + 4) + fields)

    def close(self) -> None:
        self.sock.close()


def _read(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise OSError("closed")
        data += chunk
    return data


def test_failed_password_authentication_hides_the_password(tmp_path):
    server = _PasswordServer()
    try:
        result = Tracker(f"postgresql://alice:{SECRET}@127.0.0.1:{server.port}/deals", tmp_path)("log")
    finally:
        server.close()
    assert SECRET in server.received  # the password really was sent, and refused
    assert (result.exit_code, result.stderr) == (
        6,
        f"Error: cannot open postgresql://alice:***@127.0.0.1:{server.port}/deals: connection failed: connection to server at "
        f'"127.0.0.1", port {server.port} failed: FATAL: password authentication failed for user "alice"\n',
    )
    no_secret(result)
