"""Pages for signing in and out, signing up, and confirming an email address."""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.routes import Routes

from . import identity, services
from .errors import LockedOut, RegistrationRefused, SignInSlowedDown, VerificationRefused
from .forms_auth import (
    LoginForm,
    PasswordResetRequestForm,
    PasswordResetSetForm,
    ResendForm,
    SignUpForm,
    form_refusal,
)
from .middleware import session_remember
from .models import User
from .permissions import is_staff_member, roles_of

routes = Routes()


def home_for(user: User) -> str:
    """Where a person lands after signing in: the front door of their main role."""
    if is_staff_member(user):
        return reverse("staff-home")
    if user.shop_memberships.exists():
        return reverse("shop-home")
    if "resident" in roles_of(user):
        return reverse("wallet-home")
    return reverse("account-home")


def safe_next(request: HttpRequest) -> str:
    """The `next` the request asks for, when it stays on this site; else ""."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def lockout_page(request: HttpRequest, exc: LockedOut) -> HttpResponse:
    response = render(request, "lockout.html", {"message": exc.message}, status=429)
    if isinstance(exc, SignInSlowedDown):
        response["Retry-After"] = str(exc.retry_after)
    return response


@routes("login/", name="login")
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = safe_next(request)
    form = LoginForm(request.POST) if request.method == "POST" else LoginForm()
    unverified = False
    last_attempt = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = identity.sign_in(
                request=request,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
            )
        except LockedOut as exc:
            return lockout_page(request, exc)
        except identity.EmailNotVerified as exc:
            form.add_error(None, exc.message)
            unverified = True
        except identity.InvalidCredentials as exc:
            form.add_error(None, exc.message)
            left = identity.sign_in_attempts_left(request=request, email=form.cleaned_data["email"])
            if left == 1:
                last_attempt = _last_attempt_warning()
        else:
            login(request, user)
            if form.cleaned_data.get("remember"):
                session_remember(request)
            return redirect(next_url or home_for(user))
    return render(
        request,
        "auth/login.html",
        {"form": form, "next": next_url, "unverified": unverified, "last_attempt": last_attempt},
    )


def _last_attempt_warning() -> str:
    minutes = max(1, int(get_cool_off().total_seconds()) // 60)
    return ngettext(
        "One more wrong password locks sign-in for %(minutes)d minute. Forgot your password? "
        "Ask for a new one below.",
        "One more wrong password locks sign-in for %(minutes)d minutes. Forgot your password? "
        "Ask for a new one below.",
        minutes,
    ) % {"minutes": minutes}


@routes("logout/", name="logout")
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    key = request.session.session_key
    if key and request.user.is_authenticated:
        identity.session_mark_ended(session_key=key)
    logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("home")


@routes("signup/", name="signup")
@require_http_methods(["GET", "POST"])
def signup_view(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SignUpForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                email = services.resident_sign_up(
                    email=data["email"],
                    password=data["password"],
                    display_name=data["display_name"],
                    neighbourhood_id=data["neighbourhood"].pk if data["neighbourhood"] else None,
                    language=data["language"],
                    birth_year=data["birth_year"],
                )
            except RegistrationRefused as exc:
                form_refusal(form, exc)
            else:
                # The same page whether or not the address already had an account.
                return render(request, "auth/signup_done.html", {"email": email})
    else:
        form = SignUpForm(initial={"language": (get_language() or "nl")[:2]})
    return render(request, "auth/signup.html", {"form": form})


# Before verify_email_view, whose route would otherwise take "resend" for a token.
@routes("verify-email/resend/", name="verify-email-resend")
@require_http_methods(["GET", "POST"])
def resend_view(request: HttpRequest) -> HttpResponse:
    """Ask for a new verification link. The answer never tells whether the address has an
    account."""
    if request.method == "POST":
        form = ResendForm(request.POST)
        if form.is_valid():
            identity.email_verification_resend(email=form.cleaned_data["email"])
            messages.info(
                request,
                _(
                    "If %(email)s belongs to an account that still needs confirming, a new link "
                    "is on its way. Check your inbox and spam folder."
                )
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("verify-email-resend")
    else:
        form = ResendForm(initial={"email": request.GET.get("email", "")[:254]})
    return render(request, "auth/resend.html", {"form": form})


@routes("verify-email/<str:token>/", name="verify-email")
def verify_email_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the sign-up mail: confirms the address and signs the person in. Following
    it again is harmless."""
    try:
        user, newly = identity.email_confirm(token=token)
    except VerificationRefused as exc:
        return render(
            request,
            "auth/verify_failed.html",
            {"message": exc.message, "form": ResendForm()},
            status=400,
        )
    # The first time the link is followed it proves the mailbox, and the person is signed in
    # (who just signed up should not type the password again). Not again later: an old link
    # is no way in. Not for staff, whose sign-in asks for a second factor.
    if newly and not is_staff_member(user):
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Your email address is confirmed. Welcome to Heitje!"))
        return redirect(home_for(user))
    return render(request, "auth/verified.html", {"verified_user": user})


# Getting back in: Django's own views and tokens (accounts.password_reset).
routes.add(
    "password-reset/",
    auth_views.PasswordResetView.as_view(
        form_class=PasswordResetRequestForm,
        template_name="auth/password_reset.html",
        success_url=reverse_lazy("password-reset-sent"),
    ),
    name="password-reset",
)
routes.add(
    "password-reset/sent/",
    auth_views.PasswordResetDoneView.as_view(template_name="auth/password_reset_sent.html"),
    name="password-reset-sent",
)
routes.add(
    "password-reset/done/",
    auth_views.PasswordResetCompleteView.as_view(template_name="auth/password_reset_done.html"),
    name="password-reset-done",
)
routes.add(
    "password-reset/<uidb64>/<token>/",
    auth_views.PasswordResetConfirmView.as_view(
        form_class=PasswordResetSetForm,
        template_name="auth/password_reset_confirm.html",
        success_url=reverse_lazy("password-reset-done"),
    ),
    name="password-reset-confirm",
)
