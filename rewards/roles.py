"""Which staff roles act on claims, in one place: reading a claim and seeing its photos are the
same predicate (rewards.review decides on claims, rewards.evidence serves their photos)."""

from accounts.models import Role

REVIEWER_ROLES = frozenset({Role.REVIEWER, Role.ADMIN})
APPROVER_ROLES = frozenset({Role.APPROVER, Role.ADMIN})
RELEASE_ROLES = frozenset({Role.APPROVER, Role.FINANCE, Role.ADMIN})
# Who may read the queues and claims (and so their photos): the deciders and finance (who sees
# budget holds). Task managers define tasks; they do not read residents' claims.
READER_ROLES = REVIEWER_ROLES | APPROVER_ROLES | RELEASE_ROLES
