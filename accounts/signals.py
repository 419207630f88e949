"""Signals other apps listen to (imports point down: accounts knows nothing of them)."""

from django.dispatch import Signal

# Sent on commit once a resident's residency is verified (by staff or with a letter code);
# kwargs: user. Rewards pays claims that waited for it.
residency_verified = Signal()
