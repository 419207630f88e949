"""gunicorn server hooks of the HTTP bench (bench/http_bench.py), loaded with `-c`: count the SQL
statements each request runs, per kind of request, and write the totals of each worker process
to HTTP_BENCH_COUNTS/<pid>.json when it exits. The application and its settings are untouched:
the count is a Django execute wrapper (one integer increment per statement, about 0.2 us) added
to each thread's connection before its first request.

For the requests the bench marks as measured (header X-Bench-Measured, sent during the
saturation runs only) the hooks also split the worker thread's CPU time (`time.thread_time`, a
few microseconds a request): inside the WSGI application (Django, the whole response included),
in gunicorn's access log line, and the whole request from `pre_request` to `post_request`."""

import json
import os
import threading
import time
from collections import defaultdict
from typing import Any

# kind -> [requests, statements, measured requests, app CPU, access log CPU, request CPU]
_counts: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0.0, 0.0, 0.0])
_local = threading.local()
_lock = threading.Lock()


def _kind(path: str) -> str:
    if path.endswith("/pay-codes/"):
        return "code"
    if path.endswith("/charges/"):
        return "charge"
    return "other"


def _counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    _local.statements += 1
    return execute(sql, params, many, context)


def post_worker_init(worker: Any) -> None:
    app = worker.wsgi
    access = worker.log.access

    def timed_app(environ: Any, start_response: Any) -> Any:
        began = time.thread_time()
        try:
            return app(environ, start_response)
        finally:
            _local.app += time.thread_time() - began

    def timed_access(*args: Any, **kwargs: Any) -> Any:
        began = time.thread_time()
        try:
            return access(*args, **kwargs)
        finally:
            _local.access += time.thread_time() - began

    worker.wsgi = timed_app
    worker.log.access = timed_access


def pre_request(worker: Any, req: Any) -> None:
    from django.db import connection

    if _counter not in connection.execute_wrappers:
        connection.execute_wrappers.append(_counter)
    _local.statements = 0
    _local.app = _local.access = 0.0
    _local.began = time.thread_time()


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    spent = time.thread_time() - _local.began
    kind = _kind(req.path)
    measured = environ.get("HTTP_X_BENCH_MEASURED") == "1"
    with _lock:
        row = _counts[kind]
        row[0] += 1
        row[1] += getattr(_local, "statements", 0)
        if measured:
            row[2] += 1
            row[3] += _local.app
            row[4] += _local.access
            row[5] += spent


def worker_exit(server: Any, worker: Any) -> None:
    folder = os.environ.get("HTTP_BENCH_COUNTS")
    if folder:
        with open(os.path.join(folder, f"{os.getpid()}.json"), "w") as out:
            json.dump(dict(_counts), out)
