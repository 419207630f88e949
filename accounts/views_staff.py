"""The staff console (/staff/): two-factor setup and check, then the pages each role opens:
residents, invite codes, neighbourhoods, staff members and the audit log. Every console page
goes through `staff_page`; the two-factor pages check sign-in and a staff role themselves."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from core.api import keyset_page_for_html
from core.http import act, form_page, request_user, run_action
from core.routes import Routes

from . import forms_staff, services, staff, waiting
from .errors import AccountsError
from .forms_auth import form_refusal, form_status
from .models import STAFF_ROLES, Neighbourhood, Role, User
from .permissions import roles_of, staff_page

routes = Routes()


def _user(request: HttpRequest) -> User:
    return request_user(request, User)


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


# (URL name, label, roles that open it, what it is for)
SECTIONS: list[tuple[str, Any, set[str], Any]] = [
    (
        "staff-residents",
        gettext_lazy("Residents"),
        set(staff.RESIDENT_ROLES),
        gettext_lazy("Find residents and verify that they live in the municipality."),
    ),
    (
        "staff-invite-codes",
        gettext_lazy("Invite codes"),
        set(staff.RESIDENT_ROLES),
        gettext_lazy("Generate letter codes with which residents verify themselves."),
    ),
    (
        "staff-neighbourhoods",
        gettext_lazy("Neighbourhoods"),
        set(staff.NEIGHBOURHOOD_ROLES),
        gettext_lazy("The list residents and tasks choose from."),
    ),
    (
        "staff-shops",
        gettext_lazy("Shops"),
        {Role.APPROVER, Role.FINANCE, Role.ADMIN},
        gettext_lazy("Approve shops that want to accept tokens, or suspend them."),
    ),
    (
        "rewards-staff-home",
        gettext_lazy("Campaigns and tasks"),
        set(STAFF_ROLES),
        gettext_lazy("Campaigns, tasks, claims and payouts."),
    ),
    (
        "payments-staff-home",
        gettext_lazy("Payments"),
        {Role.APPROVER, Role.FINANCE, Role.TASK_MANAGER, Role.ADMIN},
        gettext_lazy("Paper vouchers, shops' settlements and the SEPA files for the bank."),
    ),
    (
        "staff-members",
        gettext_lazy("Staff members"),
        set(staff.ADMIN_ROLES),
        gettext_lazy("Add staff members and change their roles."),
    ),
    (
        "staff-audit-log",
        gettext_lazy("Audit log"),
        set(staff.ADMIN_ROLES),
        gettext_lazy("Every staff action: who, what, when and from where."),
    ),
    (
        "staff-finance",
        gettext_lazy("Finance"),
        {Role.FINANCE, Role.APPROVER, Role.TASK_MANAGER, Role.ADMIN},
        gettext_lazy("Budget burn, payouts and payments per week, what is owed, reports."),
    ),
    (
        "rewards-staff-rules",
        gettext_lazy("Earning rules"),
        {Role.FINANCE, Role.ADMIN},
        gettext_lazy("The volunteer-allowance rates and maximums per year."),
    ),
]


def _sections(request: HttpRequest) -> list[dict[str, Any]]:
    """The console's sections this person's roles open (and that exist in this build)."""
    roles = roles_of(request.user)
    found = []
    for name, label, allowed, about in SECTIONS:
        url = _url(name)
        if url is None or not roles & {str(r) for r in allowed}:
            continue
        current = request.path.startswith(url)
        found.append({"url": url, "label": label, "about": about, "id": name, "current": current})
    return found


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context = {"sections": _sections(request), **context}
    return render(request, template, context, status=status)


# --- The console ---------------------------------------------------------------------------


@routes("", name="staff-home")
@staff_page()
def home(request: HttpRequest) -> HttpResponse:
    """The console's front page: what waits for this person's roles, each count a link to its
    queue, then the sections their roles open."""
    roles = sorted(roles_of(request.user) & {str(r) for r in STAFF_ROLES})
    return _render(
        request,
        "staff/home.html",
        {
            "role_names": [forms_staff.ROLE_NAMES[r] for r in roles],
            "waiting": waiting.staff_waiting(user=request.user),
            "digest": _user(request).staff_digest,
        },
    )


@routes("digest/", name="staff-digest")
@staff_page()
@require_POST
def digest_switch(request: HttpRequest) -> HttpResponse:
    """Switch one's own daily mail of what waits on or off."""
    enabled = request.POST.get("digest") == "on"
    waiting.staff_digest_set(user=_user(request), enabled=enabled)
    messages.success(
        request,
        _("You get a mail each morning when something waits.")
        if enabled
        else _("You no longer get the morning mail; the counts stay on this page."),
    )
    return redirect("staff-home")


@routes("residents/", name="staff-residents")
@staff_page(*staff.RESIDENT_ROLES)
def residents(request: HttpRequest) -> HttpResponse:
    form = forms_staff.ResidentSearchForm(request.GET or None)
    query, verified = "", None
    if form.is_valid():
        query = form.cleaned_data["q"]
        verified = {"yes": True, "no": False}.get(form.cleaned_data["verified"])
    # By cursor, as the API: a page deep in a long list costs what the first one does.
    residents, next_page, previous_page = keyset_page_for_html(
        request, staff.residents_for_staff(query=query, verified=verified)
    )
    return _render(
        request,
        "staff/residents.html",
        {
            "form": form,
            "residents": residents,
            "next": next_page,
            "previous": previous_page,
            "documents": list(forms_staff.DOCUMENTS.items()),
        },
    )


def _back(request: HttpRequest, *pages: str) -> str:
    """Where a resident's button goes back to: the page the form names, if it is below one of
    `pages` (never elsewhere), else the residents list."""
    back = request.POST.get("next", "")
    return back if back.startswith(pages) else reverse("staff-residents")


@routes("residents/<int:user_id>/verify/", name="staff-resident-verify")
@staff_page(*staff.RESIDENT_ROLES)
@require_POST
def resident_verify(request: HttpRequest, user_id: int) -> HttpResponse:
    """Verify a resident in one step, with the letter code or the document that was checked
    (from the residents list or a claim in the review queue); audited."""
    back = _back(request, "/staff/residents/", "/staff/rewards/claims/")
    form = forms_staff.ResidencyCheckForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() or [_("Check the code or the document.")]:
            messages.error(request, str(error))
        return redirect(back)
    act(
        request,
        lambda: staff.residency_verify_checked(
            staff=_user(request),
            resident_id=user_id,
            code=form.cleaned_data["code"],
            document=form.cleaned_data["document"],
        ),
        lambda profile: (
            _("%(name)s is verified as a resident.")
            % {"name": profile.user.display_name or profile.user.email}
        ),
    )
    return redirect(back)


@routes("residents/<int:user_id>/birth-year/", name="staff-resident-birth-year")
@staff_page(*staff.RESIDENT_ROLES)
@require_POST
def resident_birth_year(request: HttpRequest, user_id: int) -> HttpResponse:
    """Set or clear a resident's birth year (the youth hourly rate reads it); audited."""
    back = _back(request, "/staff/residents/")
    text = request.POST.get("birth_year", "").strip()
    year = int(text) if text.isdigit() and len(text) == 4 else None
    # The list shows many residents: the message names the one it is about.
    name = User.objects.filter(pk=user_id).values_list("display_name", flat=True).first() or ""
    if text and (year is None or not services.birth_year_valid(year)):
        messages.error(
            request,
            _("%(name)s: the birth year is not saved. %(rule)s")
            % {"name": name, "rule": services.BIRTH_YEAR_RULE},
        )
        return redirect(back)

    def save() -> None:
        staff.resident_birth_year_set(staff=_user(request), resident_id=user_id, birth_year=year)

    done = _("%(name)s: the birth year is saved.") % {"name": name}
    return run_action(request, save, done=done, then=back)


@routes("invite-codes/", name="staff-invite-codes")
@never_cache
@staff_page(*staff.RESIDENT_ROLES)
@require_http_methods(["GET", "POST"])
def invite_codes(request: HttpRequest) -> HttpResponse:
    """Generate a batch of letter codes. They are shown once, here, with a CSV of the same
    batch built into the page (only their hashes are stored)."""
    form = forms_staff.InviteBatchForm(request.POST or None)
    codes: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.invite_codes_generate(
                created_by=_user(request),
                count=form.cleaned_data["count"],
                valid_days=form.cleaned_data["valid_days"],
                batch=form.cleaned_data["batch"],
            )
        except AccountsError as exc:
            form_refusal(form, exc)
    context: dict[str, Any] = {"form": form, "codes": codes}
    if codes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["batch", "code"])
        writer.writerows([form.cleaned_data["batch"], code] for code in codes)
        context["csv_href"] = "data:text/csv;charset=utf-8," + quote(out.getvalue())
        context["csv_name"] = (
            "".join(c if c.isalnum() else "-" for c in form.cleaned_data["batch"])[:60] + ".csv"
        )
        context["form"] = forms_staff.InviteBatchForm()
    return _render(request, "staff/invite_codes.html", context, status=form_status(form))


@routes("neighbourhoods/", name="staff-neighbourhoods")
@staff_page(*staff.NEIGHBOURHOOD_ROLES)
@require_http_methods(["GET", "POST"])
def neighbourhoods(request: HttpRequest) -> HttpResponse:
    form = forms_staff.NeighbourhoodForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda data: staff.neighbourhood_create(staff=_user(request), name=data["name"]),
        lambda made: _("%(name)s is added.") % {"name": made.name},
        "staff-neighbourhoods",
        template="staff/neighbourhoods.html",
        context={"neighbourhoods": Neighbourhood.objects.order_by("municipality", "name")},
        page=_render,
    )


@routes("neighbourhoods/<int:neighbourhood_id>/", name="staff-neighbourhood-edit")
@staff_page(*staff.NEIGHBOURHOOD_ROLES)
@require_http_methods(["GET", "POST"])
def neighbourhood_edit(request: HttpRequest, neighbourhood_id: int) -> HttpResponse:
    neighbourhood = get_object_or_404(Neighbourhood, pk=neighbourhood_id)
    form = forms_staff.NeighbourhoodForm(request.POST or None, initial={"name": neighbourhood.name})
    return form_page(
        request,
        form,
        lambda data: staff.neighbourhood_rename(
            staff=_user(request), neighbourhood_id=neighbourhood.pk, name=data["name"]
        ),
        _("The neighbourhood is renamed."),
        "staff-neighbourhoods",
        template="staff/neighbourhood_edit.html",
        context={"neighbourhood": neighbourhood},
        page=_render,
    )


def _members_context() -> list[dict[str, Any]]:
    return [
        {
            "user": member,
            "roles": [
                forms_staff.ROLE_NAMES.get(g.role, g.role)
                for g in sorted(member.role_grants.all(), key=lambda g: g.role)
                if g.role in STAFF_ROLES
            ],
        }
        for member in staff.staff_members()
    ]


@routes("members/", name="staff-members")
@staff_page(*staff.ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest) -> HttpResponse:
    form = forms_staff.StaffCreateForm(request.POST or None)
    return form_page(
        request,
        form,
        lambda data: staff.staff_create(admin=_user(request), **data),
        lambda made: (
            _("%(email)s is added and gets a mail to choose a password.") % {"email": made.email}
        ),
        "staff-members",
        template="staff/members.html",
        context={"members": _members_context()},
        page=_render,
    )


@routes("members/<int:user_id>/", name="staff-member-roles")
@staff_page(*staff.ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def member_roles(request: HttpRequest, user_id: int) -> HttpResponse:
    member = get_object_or_404(User, pk=user_id, erased_at__isnull=True)
    current = sorted(roles_of(member) & {str(r) for r in STAFF_ROLES})
    form = forms_staff.RolesForm(request.POST or None, initial={"roles": current})
    return form_page(
        request,
        form,
        lambda data: staff.staff_roles_set(
            admin=_user(request), user_id=member.pk, roles=data["roles"]
        ),
        _("The roles of %(email)s are saved.") % {"email": member.email},
        "staff-members",
        template="staff/member_roles.html",
        context={"member": member},
        page=_render,
    )


@routes("members/<int:user_id>/two-factor-reset/", name="staff-member-totp-reset")
@staff_page(*staff.ADMIN_ROLES)
@require_POST
def member_totp_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """An administrator resets another staff member's two-step sign-in (a lost phone)."""
    removed = act(
        request,
        lambda: staff.staff_totp_reset(admin=_user(request), user_id=user_id),
        _("Two-step sign-in is reset: they set up a new authenticator at their next sign-in."),
    )
    if removed is None:
        return redirect("staff-member-roles", user_id=user_id)
    return redirect("staff-members")


@routes("audit-log/", name="staff-audit-log")
@staff_page(*staff.ADMIN_ROLES)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = forms_staff.AuditFilterForm(request.GET or None)
    action = actor = ""
    if form.is_valid():
        action, actor = form.cleaned_data["action"], form.cleaned_data["actor"]
    # By cursor, as the API: the log only grows, and a deep page costs what the first one does.
    events, older, newer = keyset_page_for_html(
        request, staff.audit_events(action=action, actor=actor)
    )
    return _render(
        request,
        "staff/audit_log.html",
        {
            "form": form,
            "events": events,
            "older": older,
            "newer": newer,
            "actions": staff.audit_actions(),
        },
    )
