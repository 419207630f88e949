"""What the payments staff pages share: who may do what, the page and confirmation renderers,
and amounts in euros."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import User
from accounts.permissions import roles_of
from accounts.templatetags.heitje import tokens
from core.http import request_user

from . import expiry, settlement, voucher_batches

VOUCHER_ROLES = tuple(str(r) for r in voucher_batches.REQUEST_ROLES)
VOUCHER_DECIDE_ROLES = tuple(str(r) for r in voucher_batches.APPROVE_ROLES)
VOUCHER_PAGE_ROLES = tuple(sorted({*VOUCHER_ROLES, *VOUCHER_DECIDE_ROLES}))
APPROVE_ROLES = tuple(str(r) for r in settlement.APPROVE_ROLES)
EXPORT_ROLES = tuple(str(r) for r in settlement.EXPORT_ROLES)
SETTLEMENT_ROLES = tuple(sorted({*APPROVE_ROLES, *EXPORT_ROLES}))
EXPIRY_ROLES = tuple(str(r) for r in expiry.SWITCH_ROLES)
ALL_ROLES = tuple(sorted({*VOUCHER_PAGE_ROLES, *SETTLEMENT_ROLES, *EXPIRY_ROLES}))
LIST_MAX = 200


def staff_user(request: HttpRequest) -> User:
    return request_user(request, User)


def staff_can(request: HttpRequest) -> dict[str, bool]:
    roles = roles_of(request.user)
    return {
        "vouchers": bool(roles & set(VOUCHER_PAGE_ROLES)),
        "request_vouchers": bool(roles & set(VOUCHER_ROLES)),
        "decide_vouchers": bool(roles & set(VOUCHER_DECIDE_ROLES)),
        "approve": bool(roles & set(APPROVE_ROLES)),
        "export": bool(roles & set(EXPORT_ROLES)),
        "expiry": bool(roles & set(EXPIRY_ROLES)),
    }


def staff_render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> Any:
    return render(request, template, {"can": staff_can(request), **context}, status=status)


def staff_confirm(request: HttpRequest, **context: Any) -> HttpResponse:
    """A money step's confirmation page: the figures involved, then one button that posts to
    the same address (`staff/confirm.html`)."""
    return staff_render(
        request,
        "staff/confirm.html",
        {"base": "payments/staff/_base.html", "action": request.path, **context},
    )


def euros(cents: int) -> str:
    return f"€\N{NO-BREAK SPACE}{tokens(cents)}"
