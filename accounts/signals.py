"""Signals other apps listen to (imports point down: accounts knows nothing of them)."""

from django.dispatch import Signal

# Sent on commit once a resident's residency is verified (by staff or with a letter code);
# kwargs: user. Rewards pays claims that waited for it.
residency_verified = Signal()

# Sent by accounts.privacy.person_erase INSIDE its transaction, with the person's row locked
# and before their wallet is emptied and closed; kwargs: user (not yet pseudonymised).
# Receivers erase what their app holds about the person in the same transaction (work that
# must wait for the commit, such as deleting files, goes in transaction.on_commit). A receiver
# that raises rolls the whole deletion back, so nothing is half erased.
account_erasing = Signal()

# Sent by accounts.privacy.data_export; kwargs: user. Each receiver returns a dict of
# JSON-ready data its app holds about the person (or None); the dicts are merged into the
# export under their own keys, so use keys no other app uses.
data_exporting = Signal()
