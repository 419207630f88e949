"""Reading ids from a query string or a path, as the database can hold them."""

MAX_ID = 2**63 - 1  # bigint


def id_or_none(raw: str) -> int | None:
    """A positive id written in ASCII digits that fits the database, else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 19:
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None
