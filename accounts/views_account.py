"""The person's own account pages: profile and language, password, email address, sessions,
and privacy (download my data, delete my account)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.http import request_user, run_form
from core.routes import Routes
from ledger.errors import LedgerError

from . import identity, privacy, tokens
from .errors import LockedOut, NotFound, VerificationRefused
from .forms_auth import DeleteForm, EmailChangeForm, PasswordChangeForm, ProfileForm
from .models import ResidentProfile, User
from .views_auth import lockout_page

routes = Routes()


def _user(request: HttpRequest) -> User:
    return request_user(request, User)


@routes("", name="account-home")
@login_required
@require_http_methods(["GET", "POST"])
def account_home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    profile = ResidentProfile.objects.filter(user=user).select_related("neighbourhood").first()
    resident = profile is not None
    if request.method == "POST":
        form = ProfileForm(request.POST, resident=resident)

        def save(cleaned: dict[str, Any]) -> HttpResponse:
            data = dict(cleaned)
            if resident:
                data["neighbourhood"] = data["neighbourhood"].pk if data["neighbourhood"] else None
            identity.profile_update(user=user, data=data)
            messages.success(request, _("Your details are saved."))
            return redirect("account-home")

        if saved := run_form(request, form, save):
            return saved
    else:
        form = ProfileForm(
            resident=resident,
            initial={
                "display_name": user.display_name,
                "neighbourhood": profile.neighbourhood_id if profile else None,
                "preferred_language": user.preferred_language,
            },
        )
    return render(request, "account/home.html", {"form": form, "account_user": user})


def _password_page(
    request: HttpRequest,
    form: forms.Form,
    done: Callable[[dict[str, Any]], HttpResponse],
    template: str,
    *,
    fields: dict[str, str] | None = None,
) -> HttpResponse:
    """A page whose form asks for the password again: `run_form`, except that a lockout (too
    many wrong passwords) answers with its own page."""
    try:
        answer = run_form(request, form, done, fields=fields, passing=(LockedOut,))
    except LockedOut as exc:
        return lockout_page(request, exc)
    return answer or render(request, template, {"form": form})


@routes("password/", name="account-password")
@login_required
@require_http_methods(["GET", "POST"])
def password_view(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)

    def change(data: dict[str, Any]) -> HttpResponse:
        old_key = request.session.session_key
        user = identity.password_change(
            user=_user(request),
            current_password=data["current_password"],
            new_password=data["new_password"],
            request=request,
            current_key=old_key,
        )
        update_session_auth_hash(request, user)
        if old_key:
            identity.session_rekey(old_key=old_key, new_key=request.session.session_key)
        messages.success(
            request, _("Your password is changed. Your other sessions have been ended.")
        )
        return redirect("account-home")

    return _password_page(
        request, form, change, "account/password.html", fields={"password": "current_password"}
    )


@routes("email/", name="account-email")
@login_required
@require_http_methods(["GET", "POST"])
def email_view(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST or None)

    def change(data: dict[str, Any]) -> HttpResponse:
        identity.email_change_request(
            user=_user(request),
            password=data["password"],
            new_email=data["new_email"],
            request=request,
        )
        messages.success(
            request,
            _(
                "We sent a link to %(email)s. Your address changes when you open it; until "
                "then you keep signing in with the old one."
            )
            % {"email": data["new_email"]},
        )
        return redirect("account-home")

    return _password_page(request, form, change, "account/email.html")


@routes("email/confirm/<str:token>/", name="account-email-confirm")
def email_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link mailed to a new address. Works without being signed in: the link is the proof."""
    try:
        user = identity.email_change_confirm(token=token)
    except VerificationRefused as exc:
        return render(
            request, "account/email_confirm_failed.html", {"message": exc.message}, status=400
        )
    return render(request, "account/email_confirmed.html", {"new_email": user.email})


@routes("sessions/", name="account-sessions")
@login_required
@require_http_methods(["GET", "POST"])
def sessions_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = request.session.session_key
    if request.method == "POST":
        if "end_others" in request.POST:
            ended = identity.sessions_end_others(user=user, current_key=current)
            messages.success(request, _("Other sessions ended: %(count)d.") % {"count": ended})
            return redirect("account-sessions")
        if "revoke" in request.POST:
            try:
                tokens.api_token_revoke(user=user, token_id=int(request.POST["revoke"]))
            except (ValueError, NotFound):
                messages.error(request, _("That API token does not exist or has already ended."))
            else:
                messages.success(request, _("The API token is revoked."))
            return redirect("account-sessions")
        try:
            session_id = int(request.POST.get("end", ""))
            record = identity.session_end(user=user, session_id=session_id)
        except (ValueError, NotFound):
            messages.error(request, _("That session does not exist or has already ended."))
            return redirect("account-sessions")
        if record.session_key == current:
            logout(request)
            return redirect("login")
        messages.success(request, _("The session is ended."))
        return redirect("account-sessions")
    sessions = [(r, r.session_key == current) for r in identity.session_list(user=user)]
    return render(
        request,
        "account/sessions.html",
        {"sessions": sessions, "api_tokens": tokens.api_token_list(user=user)},
    )


@routes("data/", name="account-data")
@login_required
@require_GET
def data_view(request: HttpRequest) -> HttpResponse:
    """Download everything held about me, as JSON."""
    body = json.dumps(
        privacy.data_export(user=_user(request)),
        cls=DjangoJSONEncoder,
        indent=2,
        ensure_ascii=False,
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="heitje-my-data.json"'
    return response


@routes("delete/", name="account-delete")
@login_required
@require_http_methods(["GET", "POST"])
def delete_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = DeleteForm(request.POST or None)

    def erase(data: dict[str, Any]) -> HttpResponse:
        privacy.person_erase(
            user=user, password=data["password"], confirm=data["confirm"], request=request
        )
        logout(request)
        messages.success(request, _("Your account has been deleted. Goodbye."))
        return redirect("home")

    try:
        if erased := run_form(request, form, erase, passing=(LockedOut,)):
            return erased
    except LockedOut as exc:
        return lockout_page(request, exc)
    except LedgerError:
        form.add_error(
            None,
            _(
                "Your wallet cannot be emptied right now (it may be frozen). Ask the "
                "municipality for help."
            ),
        )
    profile = ResidentProfile.objects.filter(user=user).select_related("wallet__currency").first()
    return render(request, "account/delete.html", {"form": form, "profile": profile})
