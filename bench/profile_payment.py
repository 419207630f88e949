"""App CPU per payment, in process: prints figures and a profile, not a pass/fail test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/heitje .venv/bin/python bench/profile_payment.py
    ... bench/profile_payment.py --payments 400 --top 25   # --no-profile for the bare figure
    ... bench/profile_payment.py --parts                    # the parts timed directly instead

The same payment as bench/http_bench.py (a pay code from the wallet API, then a charge at the
till API, each with its API token), with the same production settings and Redis, but through
Django's WSGI handler in this process: no gunicorn, no sockets, one thread. It recreates its own
database (`<db>_prof`), seeds a few residents and shops, warms up, then reports the process CPU
(time.process_time) per payment over `--payments` payments, and cProfile's top functions by
cumulative and by own time over a second run. Figures: docs/performance.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_db  # noqa: E402
import http_bench  # noqa: E402


class Wsgi:
    """Requests straight into the WSGI application, as gunicorn would hand them over."""

    def __init__(self) -> None:
        from django.core.wsgi import get_wsgi_application

        self.app = get_wsgi_application()

    def post(self, path: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_AUTHORIZATION": f"Token {token}",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)),
            "HTTP_ACCEPT": "application/json",
            "HTTP_ACCEPT_LANGUAGE": "en",
            "wsgi.input": io.BytesIO(data),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status: list[str] = []

        def start_response(line: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(line)
            return lambda data: None

        result = self.app(environ, start_response)
        try:
            raw = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return int(status[0].split()[0]), json.loads(raw) if raw else {}


def payments(client: Wsgi, people: http_bench.People, count: int, start: int) -> None:
    for i in range(start, start + count):
        resident = people.residents[i % len(people.residents)]
        token, shop_id = people.cashiers[i % len(people.cashiers)]
        status, code = client.post("/api/v1/wallet/pay-codes/", resident, http_bench.CODE_REQUEST)
        if status != 201:
            raise SystemExit(f"pay code: {status} {code}")
        status, paid = client.post(
            f"/api/v1/shops/{shop_id}/charges/",
            token,
            {"amount": http_bench.AMOUNT, "code": code["payload"]},
        )
        if status != 201:
            raise SystemExit(f"charge: {status} {paid}")


# The parts timed by --parts: (module, object path, label). Each is wrapped with process_time.
PARTS = [
    ("payments.services", "pay_token_issue", "pay_token_issue"),
    ("payments.qr", "data_urls", "QR images (SVG + PNG data URLs)"),
    ("payments.services", "payment_charge", "payment_charge"),
    ("payments.services.pay_codes", "shop_membership", "  shop_membership"),
    ("payments.services.pay_codes", "_token_lock", "  the profile's and code's locks"),
    ("payments.services.pay_codes", "_attempt_take", "  wrong-code counter: take"),
    ("payments.services.pay_codes", "_attempt_give_back", "  wrong-code counter: give back"),
    ("payments.services.pay_codes", "_payer_check", "  own shop and day's total"),
    ("payments.services.pay_codes", "payment_post", "  payment_post"),
    ("payments.services.common", "_transfer", "    the ledger's post"),
    ("accounts.authentication", "ApiTokenAuthentication.authenticate", "knox's token check"),
    ("core.http", "UserRateThrottle.allow_request", "DRF's user throttle"),
    ("rest_framework.views", "APIView.dispatch", "DRF's dispatch (all of the view)"),
]


def time_parts(client: Wsgi, people: http_bench.People, count: int, start: int) -> None:
    """CPU per payment of each part in PARTS, timed directly (no profiler)."""
    import functools
    import importlib

    totals: dict[str, float] = {}

    def wrapped(function: Any, label: str) -> Any:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                totals[label] = totals.get(label, 0.0) + time.process_time() - began

        return timed

    for module_name, path, label in PARTS:
        owner: Any = importlib.import_module(module_name)
        *outer, name = path.split(".")
        for part in outer:
            owner = getattr(owner, part)
        setattr(owner, name, wrapped(getattr(owner, name), label))
    started = time.process_time()
    payments(client, people, count, start)
    whole = time.process_time() - started
    print(f"--- parts, CPU per payment over {count} payments (all: {whole / count * 1000:.2f} ms)")
    for _module, _path, label in PARTS:
        print(f"{label:40s} {totals.get(label, 0.0) / count * 1000:6.3f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=300)
    parser.add_argument("--residents", type=int, default=40)
    parser.add_argument("--shops", type=int, default=8)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument(
        "--parts", action="store_true", help="time the parts directly instead of profiling"
    )
    parser.add_argument(
        "--qr-images", action="store_true", help="the wallet asks for the QR images too"
    )
    args = parser.parse_args()
    if args.qr_images:
        http_bench.CODE_REQUEST.pop("images")

    base_url = os.environ.get("DATABASE_URL", bench_db.DEFAULT_URL)
    name = (urlsplit(base_url).path.lstrip("/") or "heitje") + "_prof"
    url = bench_db.with_database(base_url, name)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
    env = http_bench.production_env(url=url, redis_url=redis_url, counts="")
    os.environ.update({k: v for k, v in env.items() if k != "HTTP_BENCH_COUNTS"})

    import redis

    redis.Redis.from_url(redis_url).flushdb()
    bench_db.recreate_database(base_url, name)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    people = http_bench.seed(residents=args.residents, shops=args.shops)
    client = Wsgi()
    payments(client, people, 50, 0)  # warm: imports, connections, caches

    started_wall = time.perf_counter()
    started = time.process_time()
    payments(client, people, args.payments, 50)
    cpu = time.process_time() - started
    wall = time.perf_counter() - started_wall
    print(
        f"{args.payments} payments: {cpu / args.payments * 1000:.2f} ms CPU per payment "
        f"({wall / args.payments * 1000:.2f} ms wall, database and Redis included in wall)"
    )
    if args.no_profile:
        return 0
    if args.parts:
        time_parts(client, people, args.payments, 50 + args.payments)
        return 0
    profile = cProfile.Profile(time.process_time)  # CPU, not waiting on PostgreSQL
    profile.enable()
    payments(client, people, args.payments, 50 + args.payments)
    profile.disable()
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(key).print_stats(args.top)
        print(f"--- top {args.top} by {key} ---")
        print(out.getvalue().split("\n\n", 2)[-1].rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
