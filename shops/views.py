"""The shop pages (/shop/): my shops, registering a shop, a shop's page with its cashiers for
the owner, and accepting a cashier invitation. Someone else's shop is a 404."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import ResidentProfile, User
from accounts.views_wallet import resident_page
from core.errors import DomainError
from core.http import form_status, found_or_404, request_user, run_action, run_form
from core.routes import Routes
from ledger import selectors as ledger_selectors

from . import cashiers, selectors, services
from .forms import CashierInviteForm, ShopEditForm, ShopForm
from .models import Shop

routes = Routes()  # the shop's own pages, under shop/
wallet = Routes()  # where to spend, in the wallet (under wallet/shops/)


def _user(request: HttpRequest) -> User:
    return request_user(request, User)


def _membership(request: HttpRequest, shop_id: int) -> selectors.Membership:
    return found_or_404(selectors.shop_membership, user=_user(request), shop_id=shop_id)


def _owner_membership(request: HttpRequest, shop_id: int) -> selectors.Membership:
    membership = _membership(request, shop_id)
    if not membership.is_owner:
        raise PermissionDenied
    return membership


@routes("", name="shop-home")
@login_required
def shop_home(request: HttpRequest) -> HttpResponse:
    return render(
        request, "shop/home.html", {"memberships": selectors.shop_memberships(user=_user(request))}
    )


@routes("apply/", name="shop-apply")
@login_required
@require_http_methods(["GET", "POST"])
def shop_apply(request: HttpRequest) -> HttpResponse:
    form = ShopForm(request.POST or None)

    def apply(data: dict[str, Any]) -> HttpResponse:
        shop = services.shop_apply(owner=_user(request), **data)
        messages.success(request, _("Thank you. The municipality will review your shop soon."))
        return redirect("shop-detail", shop_id=shop.pk)

    return run_form(request, form, apply, not_found_404=True) or render(
        request,
        "shop/form.html",
        {
            "form": form,
            "email_verified": _user(request).email_verified_at is not None,
            "editing": None,
        },
    )


@routes("<int:shop_id>/edit/", name="shop-edit")
@login_required
@require_http_methods(["GET", "POST"])
def shop_edit(request: HttpRequest, shop_id: int) -> HttpResponse:
    shop = _owner_membership(request, shop_id).shop
    initial = {
        "name": shop.name,
        "address": shop.address,
        "category": shop.category,
        "iban": shop.iban,
        "chamber_of_commerce": shop.chamber_of_commerce,
        "neighbourhood": shop.neighbourhood_id,
        "what_we_sell": shop.what_we_sell,
    }
    form = ShopEditForm(request.POST or None, initial=initial)

    def save(data: dict[str, Any]) -> HttpResponse:
        details = dict(data)
        neighbourhood = details.pop("neighbourhood")
        what_we_sell = details.pop("what_we_sell")
        updated = services.shop_update(
            owner=_user(request), shop_id=shop_id, request=request, **details
        )
        # The form has checked both already; the listing follows the details.
        services.shop_listing_set(
            owner=_user(request),
            shop_id=shop_id,
            neighbourhood_id=neighbourhood.pk if neighbourhood is not None else None,
            what_we_sell=what_we_sell,
        )
        messages.success(request, _("The shop's details are saved."))
        if updated.change_pending:
            messages.info(
                request,
                _(
                    "The new name and address are shown once the municipality has checked "
                    "them; until then the shop keeps its current ones."
                ),
            )
        return redirect("shop-detail", shop_id=shop_id)

    return run_form(request, form, save, not_found_404=True) or render(
        request,
        "shop/form.html",
        {"form": form, "email_verified": True, "editing": shop},
        status=form_status(form),
    )


def _detail(
    request: HttpRequest, shop_id: int, invite_form: CashierInviteForm | None = None
) -> HttpResponse:
    membership = _membership(request, shop_id)
    shop = membership.shop
    account = shop.account
    context: dict[str, object] = {
        "shop": shop,
        "role": membership.role,
        "is_owner": membership.is_owner,
        "balance": (
            ledger_selectors.account_balance(account_id=account.pk) if account is not None else None
        ),
        "decimals": account.currency.decimals if account is not None else 2,
    }
    if membership.is_owner:
        cashiers, invites = selectors.shop_cashiers(owner=_user(request), shop_id=shop_id)
        context.update(
            cashiers=cashiers,
            invites=invites,
            invite_form=invite_form or CashierInviteForm(),
        )
    return render(
        request,
        "shop/detail.html",
        context,
        status=422 if invite_form is not None and invite_form.errors else 200,
    )


@routes("<int:shop_id>/", name="shop-detail")
@login_required
def shop_detail(request: HttpRequest, shop_id: int) -> HttpResponse:
    return _detail(request, shop_id)


@routes("<int:shop_id>/cashiers/invite/", name="shop-cashier-invite")
@login_required
@require_POST
def cashier_invite(request: HttpRequest, shop_id: int) -> HttpResponse:
    _owner_membership(request, shop_id)
    form = CashierInviteForm(request.POST)

    def invite(data: dict[str, Any]) -> HttpResponse:
        made, _token = cashiers.cashier_invite(
            owner=_user(request), shop_id=shop_id, email=data["email"]
        )
        messages.success(
            request, _("An invitation is on its way to %(email)s.") % {"email": made.email}
        )
        return redirect("shop-detail", shop_id=shop_id)

    return run_form(request, form, invite, not_found_404=True) or _detail(
        request, shop_id, invite_form=form
    )


@routes("<int:shop_id>/cashiers/<int:user_id>/remove/", name="shop-cashier-remove")
@login_required
@require_POST
def cashier_remove(request: HttpRequest, shop_id: int, user_id: int) -> HttpResponse:
    _owner_membership(request, shop_id)
    return run_action(
        request,
        lambda: cashiers.cashier_remove(owner=_user(request), shop_id=shop_id, user_id=user_id),
        done=_("The cashier was removed."),
        then="shop-detail",
        shop_id=shop_id,
    )


@routes("<int:shop_id>/invites/<int:invite_id>/revoke/", name="shop-invite-revoke")
@login_required
@require_POST
def invite_revoke(request: HttpRequest, shop_id: int, invite_id: int) -> HttpResponse:
    _owner_membership(request, shop_id)
    return run_action(
        request,
        lambda: cashiers.cashier_invite_revoke(
            owner=_user(request), shop_id=shop_id, invite_id=invite_id
        ),
        done=_("The invitation was withdrawn."),
        then="shop-detail",
        shop_id=shop_id,
    )


@routes("invite/<str:token>/", name="shop-invite-accept")
@require_http_methods(["GET", "POST"])
def invite_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation mail. Anonymous visitors sign in first and come back."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    user = _user(request)
    invite, error = None, ""
    try:
        if request.method == "POST":
            member = cashiers.cashier_invite_accept(user=user, token=token)
            messages.success(
                request, _("Welcome: you are now a cashier of %(shop)s.") % {"shop": member.shop}
            )
            return redirect("shop-detail", shop_id=member.shop_id)
        invite = cashiers.cashier_invite_check(user=user, token=token)
    except DomainError as exc:
        error = exc.message
    return render(
        request,
        "shop/invite_accept.html",
        {"invite": invite, "error": error},
        status=422 if error else 200,
    )


@wallet("", name="wallet-shops")
@never_cache
@require_GET
@resident_page
def wallet_shops(request: HttpRequest, profile: ResidentProfile) -> HttpResponse:
    """Where to spend: the shops that take payments now, by neighbourhood (the resident's own
    first), with their address and what they sell."""
    groups: dict[str, list[Shop]] = {}
    for shop in selectors.shops_accepting():
        groups.setdefault(shop.neighbourhood.name if shop.neighbourhood else "", []).append(shop)
    own = profile.neighbourhood.name if profile.neighbourhood else None
    ordered = sorted(groups.items(), key=lambda kv: (kv[0] != own, kv[0] == "", kv[0]))
    return render(request, "wallet/shops.html", {"groups": ordered, "own": own})
