#!/usr/bin/env python3
"""Set-up in one step, for a machine that has only Python 3.11+.

    python3 dev.py serve [savdo serve options]   # install into .venv, migrate, serve on 127.0.0.1:8000
    python3 dev.py test  [pytest options]        # install into .venv (with test tools), run the tests

Installing is skipped when pyproject.toml has not changed since the last install.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("SAVDO_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def ensure_installed(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit("Savdo needs Python 3.11 or newer.")
    if not (BIN / "python").exists():
        print(f"Creating a virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".savdo-installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("Installing Savdo and its dependencies ...", flush=True)
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    subprocess.run([BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
    subprocess.run([BIN / "python", "-m", "pip", "install", "--quiet", "-e", target], check=True)
    stamp.write_text(digest)


def main() -> None:
    command, args = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("serve", [])
    os.chdir(ROOT)
    if command == "serve":
        ensure_installed("")
        os.execv(BIN / "savdo", [str(BIN / "savdo"), "serve", *args])
    elif command == "test":
        ensure_installed("dev")
        os.execv(BIN / "python", [str(BIN / "python"), "-m", "pytest", *args])
    else:
        ensure_installed("dev")
        os.execv(BIN / "savdo", [str(BIN / "savdo"), command, *args])


if __name__ == "__main__":
    main()
