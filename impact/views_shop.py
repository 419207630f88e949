"""A shop's monthly statement (/shop/<id>/statements/<year>/<month>/): a printable page and CSV
for the shop's owners only; anyone else gets 404 (not a member) or 403 (a cashier), as the
till's own statement does."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.errors import NotFound
from accounts.models import User
from core.http import csv_response, request_user
from core.money import amount_plain
from core.routes import Routes
from shops.selectors import shop_membership

from .statements import shop_month
from .views_wallet import FIRST_YEAR

routes = Routes()


@routes("shop/<int:shop_id>/statements/<int:year>/<int:month>/", name="shop-month-statement")
@never_cache
@login_required
@require_GET
def shop_month_statement(request: HttpRequest, shop_id: int, year: int, month: int) -> HttpResponse:
    try:
        membership = shop_membership(user=request_user(request, User), shop_id=shop_id)
    except NotFound:
        raise Http404 from None
    if not membership.is_owner:
        raise PermissionDenied
    today = timezone.localdate()
    if not (1 <= month <= 12 and year >= FIRST_YEAR and (year, month) <= (today.year, today.month)):
        raise Http404
    shop = membership.shop
    statement = shop_month(account_id=shop.account_id, year=year, month=month)
    if request.GET.get("format") == "csv":
        return csv_response(
            filename=f"shop-{shop.pk}-statement-{year}-{month:02d}.csv",
            header=["day", "payments", "received", "refunded", "settled", "other", "balance"],
            rows=(
                [
                    line.day.isoformat(),
                    line.payments,
                    amount_plain(line.received),
                    amount_plain(line.refunded),
                    amount_plain(line.settled),
                    amount_plain(line.other),
                    amount_plain(line.balance),
                ]
                for line in statement.days
            ),
        )
    before = (year, month - 1) if month > 1 else (year - 1, 12)
    after = (year, month + 1) if month < 12 else (year + 1, 1)
    return render(
        request,
        "impact/shop_statement.html",
        {
            "shop": shop,
            "statement": statement,
            "before": before if before[0] >= FIRST_YEAR else None,
            "after": after if after <= (today.year, today.month) else None,
            "printed": today,
        },
    )
