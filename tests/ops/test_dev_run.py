"""`python3 dev.py run` as systemd, `docker stop` or `timeout` stop it: with SIGTERM. Everything
it started (the embedded PostgreSQL, the web server, the Celery worker with beat) must stop too,
or the next start finds its port and data directory taken."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _processes_using(path: Path) -> list[str]:
    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(path) in cmdline:
            found.append(f"{process.info['pid']}: {cmdline[:120]}")
    return found


def _wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dev.py run ended early with exit {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f"dev.py run did not answer {url} within {seconds:.0f} s")


@pytest.mark.slow
def test_sigterm_stops_everything_dev_run_started(tmp_path):
    var = tmp_path / "var"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(VAR_DIR=str(var), PORT=str(port), DJANGO_SETTINGS_MODULE="config.settings.dev")
    process = subprocess.Popen(
        [sys.executable, "dev.py", "run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/healthz", process, seconds=400)
        assert _processes_using(var), "the embedded PostgreSQL and the worker run under VAR_DIR"

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()

    deadline = time.monotonic() + 20
    while _processes_using(var) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_using(var) == [], "a process dev.py started outlived it"
    assert not (var / "pgdata" / "postmaster.pid").exists(), "PostgreSQL was left running"
    with socket.socket() as sock:  # nothing listens on the web server's port any more
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the web server outlived dev.py"
