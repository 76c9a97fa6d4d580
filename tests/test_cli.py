from savdo.cli import gunicorn_argv, serve_parser


def test_serve_gives_each_worker_its_own_socket_unless_told_not_to(monkeypatch):
    monkeypatch.delenv("SAVDO_REUSE_PORT", raising=False)
    argv = gunicorn_argv(serve_parser().parse_args(["--workers", "3", "--threads", "2", "--port", "9000"]))
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:9000"
    assert "--reuse-port" in argv
    assert "--reuse-port" not in gunicorn_argv(serve_parser().parse_args(["--no-reuse-port"]))
    monkeypatch.setenv("SAVDO_REUSE_PORT", "0")
    assert "--reuse-port" not in gunicorn_argv(serve_parser().parse_args([]))
