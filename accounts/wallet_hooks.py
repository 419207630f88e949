"""What the wallet page shows about other apps' rows, without accounts importing them: the
apps above (rewards, payments) register readers here in their AppConfig.ready.

- A line namer names the other side of statement lines of one transfer kind (a reward: the
  task's title), given the lines; lines it does not name fall back to the transfer's metadata.
- A waiting reader says how much (minor units) is held for a resident until their residency is
  verified (approved rewards on hold).
- A banner reader gives warnings for the top of the wallet home (a wallet about to expire)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ledger.selectors import StatementLine

LineNamer = Callable[[Sequence[StatementLine]], dict[int, str]]
WaitingReader = Callable[[int], int]

_NAMERS: dict[str, LineNamer] = {}
_WAITING: dict[str, WaitingReader] = {}


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


BannerReader = Callable[[int], list[str]]
_BANNERS: dict[str, BannerReader] = {}


def wallet_banner_register(*, name: str, reader: BannerReader) -> None:
    """Add a reader of warnings for the top of a wallet's home page (given the wallet's account
    id, sentences in the active language). Registering a name again replaces its reader."""
    _BANNERS[name] = reader


def wallet_banners(*, wallet_id: int) -> list[str]:
    """Every registered warning for the wallet, in registration order."""
    return [text for reader in _BANNERS.values() for text in reader(wallet_id)]
