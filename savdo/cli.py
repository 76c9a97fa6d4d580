"""The `savdo` command: `savdo serve`, and every Django management command (`savdo migrate`,
`savdo createsuperuser`, `savdo check --deploy`, `savdo demo`, ...)."""

import argparse
import os
import sys


def gunicorn_argv(args: argparse.Namespace) -> list[str]:
    """gunicorn's command line for `savdo serve`'s options."""
    argv = [
        "gunicorn",
        "savdo.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--access-logfile",
        "-" if os.environ.get("SAVDO_ACCESS_LOG") else "/dev/null",
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
    parser.add_argument("--dev", action="store_true", help="Django's auto-reloading development server")
    parser.add_argument("--demo", action="store_true", help="load the demo shop first (idempotent)")
    parser.add_argument("--no-migrate", action="store_true")
    return parser


def _serve(argv: list[str]) -> None:
    args = serve_parser().parse_args(argv)

    import django
    from django.core.management import call_command

    django.setup()
    if not args.no_migrate:
        call_command("migrate", interactive=False, verbosity=1)
    if args.demo:
        call_command("demo")
    base = f"http://{args.host}:{args.port}"
    print(f"Savdo is serving on {base}/", flush=True)
    print(f"  Swagger UI: {base}/swagger/   ReDoc: {base}/redoc/   schema: {base}/api/schema/", flush=True)
    print(f"  Admin:      {base}/admin/   (create a login with: savdo createsuperuser)", flush=True)
    if args.dev:
        call_command("runserver", f"{args.host}:{args.port}", use_reloader=True)
        return
    from gunicorn.app.wsgiapp import WSGIApplication

    sys.argv = gunicorn_argv(args)
    WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "savdo.settings")
    argv = sys.argv[1:]
    if argv and argv[0] == "serve":
        _serve(argv[1:])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["savdo", *argv])


if __name__ == "__main__":
    main()
