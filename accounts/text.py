"""Names people type (display names, shop names and addresses) end up in mail, in the ledger's
account names and on other people's screens. They are kept to one line of visible text."""

import unicodedata

# Control and format characters (line breaks, NUL, escape sequences, bidirectional overrides,
# zero-width joiners), unassigned or private-use code points, and line/paragraph separators.
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def line_clean(value: object) -> str:
    """`value` as one line: control and format characters become spaces, runs of whitespace one
    space, and the ends are trimmed."""
    text = "".join(" " if unicodedata.category(ch) in _DROPPED else ch for ch in str(value or ""))
    return " ".join(text.split())
