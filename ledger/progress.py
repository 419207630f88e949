"""Progress bars for the commands that walk the whole ledger (export, verify, seal).

A command turns them on for its run with `progress_shown()`; the code that walks the ledger
wraps its loop in `tracked(...)`, which is the loop itself unless a bar is wanted. A bar is drawn
(tqdm, on stderr) only when stderr is a terminal and the CI variable is unset, so CI logs, cron
mails, pipes and the Celery tasks that run the same code stay quiet, and stdout (an export
written to it) is never touched."""

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO, TypeVar

T = TypeVar("T")

_shown: ContextVar[bool] = ContextVar("ledger_progress_shown", default=False)


def wanted(stream: TextIO) -> bool:
    """A terminal is watching and this is not CI."""
    return stream.isatty() and not os.environ.get("CI")


@contextmanager
def progress_shown(stream: TextIO | None = None) -> Iterator[None]:
    """Within this block, `tracked` loops draw a bar on `stream` (stderr) when `wanted`."""
    token = _shown.set(wanted(stream or sys.stderr))
    try:
        yield
    finally:
        _shown.reset(token)


def tracked(items: Iterable[T], *, total: Callable[[], int], what: str) -> Iterable[T]:
    """`items`, with a bar counting them against `total()` (only asked when a bar is drawn)."""
    if not _shown.get():
        return items
    from tqdm import tqdm

    return tqdm(items, total=total(), desc=what, unit="", file=sys.stderr, leave=False)
