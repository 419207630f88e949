"""Getting into the staff console: a new member's first visit (the welcome link sets a
password), then the authenticator app's setup and the two-factor check every session passes.
These pages check sign-in and a staff role themselves; the console's own pages are in
views_staff and go through `staff_page`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.http import form_page, request_user, run_form
from core.routes import Routes

from . import identity, staff
from .errors import AccountsError
from .forms_auth import form_status
from .forms_staff import TokenForm, WelcomePasswordForm
from .models import User
from .permissions import is_staff_member, two_factor_verified
from .views_auth import safe_next

routes = Routes()


def _user(request: HttpRequest) -> User:
    return request_user(request, User)


# --- Two-factor authentication -------------------------------------------------------------


def _staff_signed_in_page(
    view: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A two-factor page: sign-in and a staff role, without the two-factor check (these pages
    give it); GET or POST only, never kept by a cache."""

    @never_cache
    @require_http_methods(["GET", "POST"])
    @functools.wraps(view)
    def checked(request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            raise PermissionDenied
        return view(request)

    return checked


def _verified(request: HttpRequest, device: TOTPDevice) -> HttpResponse:
    """The session passed TOTP: a new session key (the old one may have been seen before the
    second factor), then the page that asked for it (the admin) or the console."""
    old_key = request.session.session_key or ""
    request.session.cycle_key()
    identity.session_rekey(old_key=old_key, new_key=request.session.session_key)
    django_otp.login(request, device)
    return redirect(safe_next(request) or "staff-home")


def _qr_svg(data: str) -> SafeString:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg") :]
    label = _("QR code to scan with your authenticator app")
    opening = format_html('<svg role="img" aria-label="{}" class="qr" ', label)
    return mark_safe(svg.replace("<svg ", opening, 1))  # noqa: S308 (qrcode's own SVG)


@routes("2fa/setup/", name="staff-2fa-setup")
@_staff_signed_in_page
def twofa_setup(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("staff-home" if two_factor_verified(user) else "staff-2fa-verify")
    form = TokenForm(request.POST or None)

    def confirm(data: dict[str, Any]) -> HttpResponse:
        device = staff.totp_confirm(user=user, token=data["token"])
        messages.success(request, _("Your authenticator app is set up."))
        return _verified(request, device)

    done = run_form(request, form, confirm)
    if done is not None:
        return done
    device = staff.totp_device_for_setup(user=user)
    secret = device.config_url.split("secret=", 1)[1].split("&", 1)[0]
    context = {
        "form": form,
        "qr": _qr_svg(device.config_url),
        "config_url": device.config_url,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "staff/twofa_setup.html", context, status=form_status(form))


@routes("2fa/verify/", name="staff-2fa-verify")
@_staff_signed_in_page
def twofa_verify(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if two_factor_verified(user):
        return redirect("staff-home")
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("staff-2fa-setup")
    form = TokenForm(request.POST or None)
    done = run_form(
        request,
        form,
        lambda data: _verified(request, staff.totp_verify(user=user, token=data["token"])),
    )
    if done is not None:
        return done
    return render(request, "staff/twofa_verify.html", {"form": form}, status=form_status(form))


# --- A new staff member's first visit ------------------------------------------------------------


@routes("welcome/<str:uidb64>/<str:token>/", name="staff-welcome")
@never_cache
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link from the welcome mail: choose a password (the link proves the address)."""
    try:
        member = staff.staff_welcome_user(uidb64=uidb64, token=token)
    except AccountsError:
        return render(request, "staff/welcome_failed.html", status=400)
    form = WelcomePasswordForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda data: staff.staff_welcome_set_password(
            uidb64=uidb64, token=token, password=data["password"]
        ),
        _("Your password is set. Sign in, then set up your authenticator app."),
        "login",
        template="staff/welcome.html",
        context={"member": member},
    )
