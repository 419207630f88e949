"""Who may do what: roles, shop memberships and staff two-factor authentication, for pages (view
decorators) and for the API (DRF permission classes). Services check roles too; these checks
only make the refusal early and uniform."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy
from django_otp import user_has_device
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .errors import NotAllowed, TwoFactorRequired
from .models import STAFF_ROLES, Role, RoleGrant, User


def roles_of(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_heitje_roles", None)
    if cached is None:
        cached = set(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
        user._heitje_roles = cached
    return cached


def has_role(user: Any, roles: Iterable[str]) -> bool:
    return bool(roles_of(user) & set(roles))


class IsResident(BasePermission):
    """The API's one resident-only permission: signed in and holding the resident role. Anyone
    else signed in is refused 403 (`permission-denied`); nobody signed in, 401/403
    `not-authenticated`."""

    message = gettext_lazy("Only residents can do this.")

    def has_permission(self, request: Request, view: object) -> bool:
        return has_role(request.user, (Role.RESIDENT,))


def is_staff_member(user: Any) -> bool:
    return has_role(user, STAFF_ROLES)


def two_factor_verified(user: Any) -> bool:
    """True when this session passed a TOTP check (django-otp's middleware sets it). Token-
    authenticated API calls never count as verified: staff use the API from a verified session."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def _staff_roles(roles: Iterable[str]) -> set[str]:
    chosen = set(roles) or set(STAFF_ROLES)
    unknown = chosen - set(STAFF_ROLES)
    assert not unknown, f"not staff roles: {unknown}"
    return chosen


def staff_permission(*roles: str) -> type[BasePermission]:
    """A DRF permission: signed in, holding one of `roles` (any staff role when none are given),
    and two-factor verified in this session."""
    allowed = _staff_roles(roles)

    class StaffPermission(BasePermission):
        def has_permission(self, request: Request, view: object) -> bool:
            user = request.user
            if not getattr(user, "is_authenticated", False):
                return False  # DRF answers 401/403 not-authenticated
            if not has_role(user, allowed):
                raise NotAllowed("Your role does not allow this.")
            if not two_factor_verified(user):
                raise TwoFactorRequired(
                    "Staff must confirm this session with their authenticator app first."
                )
            return True

    StaffPermission.__name__ = "Staff_" + "_".join(sorted(allowed))
    return StaffPermission


def staff_page(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view decorator for /staff pages: sign in, hold one of `roles`, and pass TOTP (set it up
    first if there is no device yet) before the page works."""
    allowed = _staff_roles(roles)

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(user, allowed):
                raise PermissionDenied
            if not two_factor_verified(user):
                assert isinstance(user, User)
                target = "staff-2fa-verify" if user_has_device(user) else "staff-2fa-setup"
                return redirect(target)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
