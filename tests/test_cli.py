"""`savdo` on the command line: serve's options, its start-up banner and port check, and one clear
line (no traceback) for what a newcomer can get wrong; the benchmark's database set-up."""

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from savdo.cli import StartRefused, banner, gunicorn_argv, main, port_in_use, require_free_port, serve_parser


def test_serve_gives_each_worker_its_own_socket_unless_told_not_to(monkeypatch):
    monkeypatch.delenv("SAVDO_REUSE_PORT", raising=False)
    argv = gunicorn_argv(serve_parser().parse_args(["--workers", "3", "--threads", "2", "--port", "9000"]))
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:9000"
    assert "--reuse-port" in argv
    assert "--reuse-port" not in gunicorn_argv(serve_parser().parse_args(["--no-reuse-port"]))
    monkeypatch.setenv("SAVDO_REUSE_PORT", "0")
    assert "--reuse-port" not in gunicorn_argv(serve_parser().parse_args([]))


# --- what a newcomer sees: no traceback, the commands that work --------------------------------
ROOT = Path(__file__).resolve().parent.parent


def _listening_like_gunicorn() -> socket.socket:
    """A server socket as each gunicorn worker of `savdo serve` opens it (SO_REUSEPORT)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def test_the_banner_names_the_command_that_works():
    lines = banner("127.0.0.1", 8000)
    assert lines[0] == "Savdo is serving on http://127.0.0.1:8000/"
    assert lines[2].endswith("(create a login with: python3 dev.py createsuperuser)")


def test_a_second_server_on_a_served_port_refuses_to_start(monkeypatch, capsys):
    with _listening_like_gunicorn() as first:
        port = first.getsockname()[1]
        # The kernel would let a second SO_REUSEPORT socket share the port: what the check prevents.
        with socket.socket() as second:
            second.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            second.bind(("127.0.0.1", port))
        assert port_in_use("127.0.0.1", port)
        monkeypatch.setattr(sys, "argv", ["savdo", "serve", "--port", str(port)])
        with pytest.raises(SystemExit) as stopped:
            main()
        message = str(stopped.value.code)
        assert message.startswith(f"savdo: Port {port} on 127.0.0.1 is already in use")
        assert "--share-port" in message and "\n" not in message
        # Asked for: sharing is allowed.
        require_free_port(serve_parser().parse_args(["--port", str(port), "--share-port"]))
    assert not port_in_use("127.0.0.1", port)
    require_free_port(serve_parser().parse_args(["--port", str(port)]))


def test_the_port_check_refuses_before_anything_else_runs():
    with _listening_like_gunicorn() as first, pytest.raises(StartRefused):
        require_free_port(serve_parser().parse_args(["--port", str(first.getsockname()[1])]))


def _savdo(*argv: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "SECRET_KEY")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "savdo.cli", *argv], env=environment, cwd=ROOT, capture_output=True, text=True
    )


def test_production_without_secret_key_says_so_in_one_line(tmp_path):
    done = _savdo("check", SAVDO_ENV="production", DEBUG="0", SAVDO_VAR_DIR=str(tmp_path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("savdo: SECRET_KEY is required when SAVDO_ENV=production")


def test_demo_on_a_database_never_migrated_says_so_in_one_line(tmp_path):
    # (System checks skipped: what is checked here is the database, whatever state the models are in.)
    done = _savdo("demo", "--skip-checks", SAVDO_VAR_DIR=str(tmp_path), REDIS_URL="")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("CommandError: The database is not migrated")
    assert "python3 dev.py migrate" in line


def test_benchmark_without_postgresql_says_what_to_do_in_one_line():
    from benchmarks.run import ensure_database

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens there
    with pytest.raises(SystemExit) as stopped:
        ensure_database(f"postgres://postgres@127.0.0.1:{port}/savdo_bench")
    message = str(stopped.value.code)
    assert message.startswith(f"PostgreSQL at 127.0.0.1:{port} cannot give the benchmark its database 'savdo_bench'")
    assert "createdb" in message and "\n" not in message


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a PostgreSQL server")
def test_benchmark_creates_its_missing_database():
    import psycopg

    from benchmarks.run import ensure_database

    settings = connection.settings_dict
    name = f"savdo_bench_probe_{uuid.uuid4().hex[:8]}"
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    url = f"postgres://{settings['USER']}@{host}:{port}/{name}"
    try:
        assert ensure_database(url) is True
        assert ensure_database(url) is False
    finally:
        with psycopg.connect(host=host, port=port, user=settings["USER"], dbname="postgres", autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}"')
