"""gunicorn server hooks of the HTTP bench (bench/http_bench.py), loaded with `-c`: count the SQL
statements each request runs, per kind of request, and write the totals of each worker process
to HTTP_BENCH_COUNTS/<pid>.json when it exits. The application and its settings are untouched:
the count is a Django execute wrapper (one integer increment per statement) added to each
thread's connection before its first request."""

import json
import os
import threading
from collections import defaultdict
from typing import Any

_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # kind -> [requests, statements]
_local = threading.local()
_lock = threading.Lock()


def _kind(path: str) -> str:
    if path.endswith("/pay-codes/"):
        return "code"
    if path.endswith("/charges/"):
        return "charge"
    return "other"


def _counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    _local.statements = getattr(_local, "statements", 0) + 1
    return execute(sql, params, many, context)


def pre_request(worker: Any, req: Any) -> None:
    from django.db import connection

    if _counter not in connection.execute_wrappers:
        connection.execute_wrappers.append(_counter)
    _local.statements = 0


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    kind = _kind(req.path)
    with _lock:
        row = _counts[kind]
        row[0] += 1
        row[1] += getattr(_local, "statements", 0)


def worker_exit(server: Any, worker: Any) -> None:
    folder = os.environ.get("HTTP_BENCH_COUNTS")
    if folder:
        with open(os.path.join(folder, f"{os.getpid()}.json"), "w") as out:
            json.dump(dict(_counts), out)
