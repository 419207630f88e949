"""What the rewards staff pages share: who sees what, the request's user, rendering a page with
the buttons the person may use, 404 for what does not exist, and running a button's service."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import render

from accounts.models import Role, User
from accounts.permissions import roles_of
from core.http import found_or_404
from core.http import request_user as _request_user

from .. import campaigns, earning, roles, selectors
from ..models import Campaign, Task

PAGE_SIZE = 50

# Who sees what. Everyone on the staff may read campaigns and their budgets; the services
# decide who may change them.
READ_ROLES = (Role.TASK_MANAGER, Role.REVIEWER, Role.APPROVER, Role.FINANCE, Role.ADMIN)
MANAGE_ROLES = campaigns.CAMPAIGN_ROLES
MINT_ROLES = (*campaigns.MINT_REQUEST_ROLES, *campaigns.MINT_APPROVE_ROLES)
REVIEW_READ_ROLES = tuple(sorted(roles.READER_ROLES))
DECIDE_ROLES = tuple(sorted(roles.REVIEWER_ROLES | roles.APPROVER_ROLES))
RELEASE_ROLES = tuple(sorted(roles.RELEASE_ROLES))


def request_user(request: HttpRequest) -> User:
    return _request_user(request, User)


def _may(request: HttpRequest, roles: Any) -> bool:
    return bool(roles_of(request.user) & set(roles))


def _can(request: HttpRequest) -> dict[str, bool]:
    """What the person may do, so the pages offer only those buttons."""
    return {
        "manage": _may(request, MANAGE_ROLES),
        "request_mint": _may(request, campaigns.MINT_REQUEST_ROLES),
        "approve_mint": _may(request, campaigns.MINT_APPROVE_ROLES),
        "review": _may(request, REVIEW_READ_ROLES),
        "decide": _may(request, DECIDE_ROLES),
        "release": _may(request, RELEASE_ROLES),
        "rules": _may(request, earning.RULES_ROLES),
    }


def staff_render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> Any:
    return render(request, template, {"can": _can(request), **context}, status=status)


def campaign_or_404(campaign_id: int) -> Campaign:
    return found_or_404(selectors.campaign_get, campaign_id=campaign_id)


def task_or_404(task_id: int) -> Task:
    return found_or_404(selectors.task_get, task_id=task_id)
