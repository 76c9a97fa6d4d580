"""The `savdo` command: `savdo serve`, and every Django management command (`savdo migrate`,
`savdo createsuperuser`, `savdo check --deploy`, `savdo demo`, ...)."""

import argparse
import errno
import os
import socket
import sys

# What the README's set-up puts on the PATH: `python3 dev.py <command>` runs any `savdo <command>`.
SETUP_COMMAND = "python3 dev.py"


def gunicorn_argv(args: argparse.Namespace) -> list[str]:
    """gunicorn's command line for `savdo serve`'s options."""
    argv = [
        "gunicorn",
        # Requests are read whole on an event loop before a thread of the pool (--threads) handles
        # them, so slow clients cannot hold the threads (savdo/front.py).
        "savdo.front:application",
        "--worker-class",
        "asgi",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        # One access-log line per request comes from Django (savdo.api.middleware.AccessLogMiddleware).
        "--access-logfile",
        "/dev/null",
        "--forwarded-allow-ips",
        os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
    ]
    if args.reuse_port:
        argv.append("--reuse-port")
    return argv


def serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="savdo serve", description="Apply migrations, then serve HTTP.")
    parser.add_argument("--host", default=os.environ.get("SAVDO_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SAVDO_PORT", "8000")))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("SAVDO_WORKERS", "2")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("SAVDO_THREADS", "4")))
    parser.add_argument(
        "--reuse-port",
        action=argparse.BooleanOptionalAction,
        default=os.environ.get("SAVDO_REUSE_PORT", "1") != "0",
        help="one listening socket per worker (SO_REUSEPORT; default on): the kernel spreads new connections "
        "over the workers; with one shared socket, one worker can take every keep-alive connection",
    )
    parser.add_argument(
        "--share-port",
        action="store_true",
        help="start even if another server already listens on the port, and share its traffic with it "
        "(both must use --reuse-port); without it a second server on a served port refuses to start",
    )
    parser.add_argument("--dev", action="store_true", help="Django's auto-reloading development server")
    parser.add_argument("--demo", action="store_true", help="load the demo shop first (idempotent)")
    parser.add_argument("--no-migrate", action="store_true")
    return parser


class StartRefused(Exception):
    """A start-up problem the user can fix, told in one line (no traceback)."""


def port_in_use(host: str, port: int) -> bool:
    """Whether a server already listens on `host:port`: a socket bound the way gunicorn binds (with
    SO_REUSEADDR, so sockets of a stopped server waiting in TIME_WAIT do not count) but without
    SO_REUSEPORT, which would let it bind beside a server that uses SO_REUSEPORT."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False  # the server's own bind reports a bad host
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def require_free_port(args: argparse.Namespace) -> None:
    """Refuse to start on a port another server already listens on, unless asked to share it.

    Each gunicorn worker binds with SO_REUSEPORT, so without this check a second `savdo serve` on the
    same port would start and silently take half of the first one's connections."""
    if args.share_port or not port_in_use(args.host, args.port):
        return
    raise StartRefused(
        f"Port {args.port} on {args.host} is already in use (another `savdo serve`?): stop that server, "
        f"choose another port with --port, or pass --share-port to share the traffic with it."
    )


def banner(host: str, port: int) -> list[str]:
    """What `savdo serve` prints once it is ready to serve."""
    base = f"http://{host}:{port}"
    return [
        f"Savdo is serving on {base}/",
        f"  Swagger UI: {base}/swagger/   ReDoc: {base}/redoc/   schema: {base}/api/schema/",
        f"  Admin:      {base}/admin/   (create a login with: {SETUP_COMMAND} createsuperuser)",
    ]


def _serve(argv: list[str]) -> None:
    args = serve_parser().parse_args(argv)
    require_free_port(args)

    import django
    from django.core.management import call_command

    django.setup()
    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=1)
    if args.demo:
        call_command("demo")
    for line in banner(args.host, args.port):
        print(line, flush=True)
    if args.dev:
        call_command("runserver", f"{args.host}:{args.port}", use_reloader=True)
        return
    from gunicorn.app.wsgiapp import WSGIApplication

    os.environ["SAVDO_THREADS"] = str(args.threads)  # the size of savdo.front's pool in each worker
    sys.argv = gunicorn_argv(args)
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "savdo.settings")
    argv = sys.argv[1:]
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management.base import CommandError

    try:
        # Settings first: what they refuse (production without SECRET_KEY, with DEBUG on, ...) is one
        # line to fix, not a traceback.
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - reading a setting loads them all
        if argv and argv[0] == "serve":
            _serve(argv[1:])
            return
        from django.core.management import execute_from_command_line

        execute_from_command_line(["savdo", *argv])
    except (ImproperlyConfigured, StartRefused, CommandError) as error:
        sys.exit(f"savdo: {_first_line(error)}")


if __name__ == "__main__":
    main()
