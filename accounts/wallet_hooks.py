"""What the wallet page shows about other apps' rows, without accounts importing them: the
apps above (rewards, payments) register readers here in their AppConfig.ready.

- A line namer names the other side of statement lines of one transfer kind (a reward: the
  task's title), given the lines; lines it does not name fall back to the transfer's metadata.
- A waiting reader says how much (minor units) is held for a resident until their residency is
  verified (approved rewards on hold).
- A notice reader gives warnings for the wallet's top, each (id, sentence in the active
  language): rewards warns a resident near an earning cap."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ledger.selectors import StatementLine

LineNamer = Callable[[Sequence[StatementLine]], dict[int, str]]
WaitingReader = Callable[[int], int]
NoticeReader = Callable[[int], list[tuple[str, str]]]

_NAMERS: dict[str, LineNamer] = {}
_WAITING: dict[str, WaitingReader] = {}
_NOTICES: dict[str, NoticeReader] = {}


def wallet_line_namer_register(*, kind: str, namer: LineNamer) -> None:
    """Name the other side of statement lines of `kind` (by transfer id). Registering a kind
    again replaces its namer."""
    _NAMERS[kind] = namer


def wallet_waiting_register(*, name: str, reader: WaitingReader) -> None:
    """Add a reader of what waits for a resident's (user id) residency, in minor units."""
    _WAITING[name] = reader


def wallet_line_names(lines: Sequence[StatementLine]) -> dict[int, str]:
    """The other side of each line the registered namers know, by transfer id."""
    names: dict[int, str] = {}
    for kind, namer in _NAMERS.items():
        mine = [line for line in lines if line.kind == kind]
        if mine:
            names.update(namer(mine))
    return names


def wallet_waiting_for_residency(*, user_id: int) -> int:
    """Minor units held for the resident until their residency is verified."""
    return sum(reader(user_id) for reader in _WAITING.values())


def wallet_notices_register(*, name: str, reader: NoticeReader) -> None:
    """Add a reader of warnings for a resident (user id): (id, sentence) pairs."""
    _NOTICES[name] = reader


def wallet_notices(*, user_id: int) -> list[tuple[str, str]]:
    """The registered readers' warnings for the resident, in registration order."""
    return [notice for reader in _NOTICES.values() for notice in reader(user_id)]
