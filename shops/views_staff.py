"""The staff's shop pages (/staff/shops/): the approval queue, approve, suspend with a reason.
Approvers, finance and administrators, in a session that passed TOTP."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from accounts.permissions import staff_page
from core.api import keyset_page_for_html
from core.http import act, form_page, request_user
from core.routes import Routes

from . import selectors, services
from .forms import SuspendForm
from .models import Shop, ShopStatus

routes = Routes()

shop_staff_page = staff_page(*services.SHOP_STAFF_ROLES)


def _user(request: HttpRequest) -> User:
    return request_user(request, User)


CHANGES = "changes"


def _status_filter(request: HttpRequest) -> str:
    """`?status=` of the list: pending by default, "all" for every shop, "changes" for the new
    names and addresses waiting for review."""
    value = request.GET.get("status", request.POST.get("status", ShopStatus.PENDING))
    return value if value in ShopStatus.values or value in ("all", CHANGES) else ShopStatus.PENDING


def _back_to_list(status: str) -> HttpResponse:
    return redirect(reverse("staff-shops") + "?" + urlencode({"status": status}))


@routes("", name="staff-shops")
@shop_staff_page
def shop_list(request: HttpRequest) -> HttpResponse:
    status = _status_filter(request)
    rows = (
        selectors.shops_with_pending_changes()
        if status == CHANGES
        else selectors.shops_for_staff(status=None if status == "all" else status)
    )
    # By cursor, as the API: a page deep in a long list costs what the first one does.
    shops, next_page, previous_page = keyset_page_for_html(request, rows)
    choices = [*ShopStatus.choices, ("all", _("All")), (CHANGES, _("New names and addresses"))]
    return render(
        request,
        "staff_shops/list.html",
        {
            "shops": shops,
            "next": next_page,
            "previous": previous_page,
            "status": status,
            "status_choices": choices,
        },
    )


def _at_once(
    request: HttpRequest,
    shop_id: int,
    service: Callable[..., Shop],
    done: Callable[[Shop], str],
) -> HttpResponse:
    """A shop decision by one button: `service` and the message `done(shop)`, back to the list
    with its filter."""
    act(request, lambda: service(staff=_user(request), shop_id=shop_id), done)
    return _back_to_list(_status_filter(request))


@routes("<int:shop_id>/approve/", name="staff-shop-approve")
@shop_staff_page
@require_POST
def shop_approve(request: HttpRequest, shop_id: int) -> HttpResponse:
    return _at_once(
        request,
        shop_id,
        services.shop_approve,
        lambda shop: _("%(shop)s is approved.") % {"shop": shop.name},
    )


def _with_reason(
    request: HttpRequest,
    shop_id: int,
    service: Callable[..., object],
    done: Callable[[Shop], str],
    template: str,
) -> HttpResponse:
    """A shop decision that needs a reason the owner reads: the form, then `service` and the
    message `done(shop)`, back to the list with its filter."""
    shop = get_object_or_404(Shop, pk=shop_id)
    form = SuspendForm(request.POST or None)
    status = _status_filter(request)
    return form_page(
        request,
        form,
        lambda data: service(staff=_user(request), shop_id=shop_id, reason=data["reason"]),
        done(shop),
        lambda _result: _back_to_list(status),
        template=template,
        context={"shop": shop, "status": status},
    )


@routes("<int:shop_id>/suspend/", name="staff-shop-suspend")
@shop_staff_page
@require_http_methods(["GET", "POST"])
def shop_suspend(request: HttpRequest, shop_id: int) -> HttpResponse:
    return _with_reason(
        request,
        shop_id,
        services.shop_suspend,
        lambda shop: _("%(shop)s is suspended.") % {"shop": shop.name},
        "staff_shops/suspend.html",
    )


@routes("<int:shop_id>/change/approve/", name="staff-shop-change-approve")
@shop_staff_page
@require_POST
def shop_change_approve(request: HttpRequest, shop_id: int) -> HttpResponse:
    return _at_once(
        request,
        shop_id,
        services.shop_change_approve,
        lambda shop: _("%(shop)s now has its new name and address.") % {"shop": shop.label},
    )


@routes("<int:shop_id>/change/reject/", name="staff-shop-change-reject")
@shop_staff_page
@require_http_methods(["GET", "POST"])
def shop_change_reject(request: HttpRequest, shop_id: int) -> HttpResponse:
    return _with_reason(
        request,
        shop_id,
        services.shop_change_reject,
        lambda shop: (
            _("The new name and address of %(shop)s were turned down.") % {"shop": shop.label}
        ),
        "staff_shops/change_reject.html",
    )
