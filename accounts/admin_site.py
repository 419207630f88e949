"""The Django admin behind the same two-factor check as the staff console.

The admin opens only for an administrator (the administrator role and Django's `is_staff`)
whose session passed TOTP, as `staff_page` asks of /staff/. It has no sign-in of its own: a
visitor is sent to the site's sign-in and an unverified administrator to the staff code (or its
setup), each returning to the admin afterwards. django-otp's `OTPAdminSite` was the other way:
its login form takes the password and the code together, a second door beside /login/ that skips
the site's sign-in rules (confirmed email, session records) and cannot set a device up.

Models that hold keys or bearer tokens are never registered, whoever asks: an authenticator's
key or an API token read in the admin would open the staff console or the API as that person."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.db.models.base import ModelBase
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django_otp import user_has_device

from .models import Role
from .permissions import has_role, is_staff_member, two_factor_verified
from .views_auth import safe_next

# Labels (app_label.model_name) of models whose rows are secrets: authenticator keys, API
# tokens (DRF's authtoken or knox, whichever is installed), session keys and pay codes.
SECRET_MODELS = frozenset(
    {
        "otp_totp.totpdevice",
        "otp_hotp.hotpdevice",
        "otp_static.staticdevice",
        "otp_email.emaildevice",
        "authtoken.token",
        "authtoken.tokenproxy",
        "knox.authtoken",
        "sessions.session",
        "accounts.sessionrecord",
        "payments.paytoken",
    }
)


class HeitjeAdminSite(admin.AdminSite):
    site_header = "Heitje"
    site_title = "Heitje admin"

    def has_permission(self, request: HttpRequest) -> bool:
        """An active administrator who is Django staff, in a session that passed TOTP."""
        user = request.user
        return (
            user.is_active
            and user.is_staff
            and has_role(user, {Role.ADMIN})
            and two_factor_verified(user)
        )

    def register(
        self,
        model_or_iterable: type[Model] | Iterable[type[Model]],
        admin_class: Any = None,
        **options: Any,
    ) -> None:
        """Registers every model but those holding secrets (SECRET_MODELS), which third-party
        apps register on their own when installed."""
        models = (
            [model_or_iterable]
            if isinstance(model_or_iterable, ModelBase)
            else list(model_or_iterable)
        )
        shown = [m for m in models if m._meta.label_lower not in SECRET_MODELS]
        if shown:
            super().register(shown, admin_class, **options)

    @method_decorator(never_cache)
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """No password is taken here: the site's sign-in, then the staff code, then back."""
        next_url = safe_next(request) or reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url)
        if self.has_permission(request):
            return redirect(next_url)
        if is_staff_member(user) and not two_factor_verified(user):
            step = "staff-2fa-verify" if user_has_device(user) else "staff-2fa-setup"
            return redirect(f"{reverse(step)}?{urlencode({'next': next_url}, safe='/')}")
        raise PermissionDenied
