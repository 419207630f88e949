"""Payments API, the shop's side: charges of resident codes, payment requests, the day's
payments, refunds and the poster (payments.api lists the routes)."""

from datetime import date
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.errors import NotFound
from accounts.models import User
from core.api import query, request_user, validated
from core.routes import Routes
from shops.models import Shop
from shops.selectors import shop_membership

from . import api_common as common
from . import codes, qr, selectors, services
from .api_wallet import DATETIME
from .models import Payment, PaymentRequest

# The shop's side, under shops/<id>/ (payments.api); one payment request's under
# payment-requests/<id>/.
routes = Routes()
payment_request = routes.group("payment-requests/<int:request_id>/")


def _shop(request: Request, shop_id: int) -> Shop:
    """The shop the URL names, of which the signed-in person is a member (404 otherwise)."""
    return shop_membership(user=request_user(request, User), shop_id=shop_id).shop


# --- shop ----------------------------------------------------------------------------------


@routes("charges/", name="api-shop-charges")
class ChargesView(common.PaymentsView):
    @extend_schema(
        request=common.ChargeSerializer,
        responses={201: common.ShopPaymentSerializer, 202: common.RequestStateSerializer},
    )
    def post(self, request: Request, shop_id: int) -> Response:
        """Charge a resident's code (scanned or typed) for an amount, into this shop. Too many
        wrong codes in a few minutes answer 429. Above PAYMENT_CONFIRM_ABOVE, unless the code
        carries the resident's confirmation, the answer is 202 with a payment request waiting
        for the resident to confirm on their phone: poll it as a shown request."""
        data = validated(request, common.ChargeSerializer)
        payment = services.payment_charge(
            cashier=request_user(request, User),
            shop_id=shop_id,
            amount=data["amount"],
            code=data["code"],
        )
        if isinstance(payment, PaymentRequest):
            state = selectors.request_status(request_id=payment.pk, shop=payment.shop)
            return Response(
                common.RequestStateSerializer(state).data, status=status.HTTP_202_ACCEPTED
            )
        return Response(shop_payment_body(payment), status=status.HTTP_201_CREATED)


def shop_payment_body(payment: Payment) -> dict[str, Any]:
    """ShopPaymentSerializer's representation of a payment, written out (on every payment; the
    schema keeps the serializer, and tests/payments/test_hot_rows.py holds the two equal)."""
    row = common._shop_payment(payment)
    return {
        "id": int(row["id"]),
        "shop_id": int(row["shop_id"]),
        "shop_name": str(row["shop_name"]),
        "amount": int(row["amount"]),
        "refunded": int(row["refunded"]),
        "refundable": int(row["refundable"]),
        "method": str(row["method"]),
        "created_at": DATETIME.to_representation(row["created_at"]),
        "cashier": None if row["cashier"] is None else str(row["cashier"]),
    }


@routes("payment-requests/", name="api-shop-payment-requests")
class PaymentRequestsView(common.PaymentsView):
    @extend_schema(
        request=common.AmountSerializer, responses={201: common.RequestCreatedSerializer}
    )
    def post(self, request: Request, shop_id: int) -> Response:
        """A signed payment request for the resident to scan; poll its status to see "paid"."""
        data = validated(request, common.AmountSerializer)
        made, payload = services.payment_request_create(
            cashier=request_user(request, User), shop_id=shop_id, amount=data["amount"]
        )
        svg, png = qr.data_urls(payload)
        body = common.RequestCreatedSerializer(
            {
                "id": made.pk,
                "payload": payload,
                "short_code": made.short_code,
                "amount": made.amount,
                "currency": made.currency,
                "expires_at": made.expires_at,
                "status": made.status,
                "qr_svg": svg,
                "qr_png": png,
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


@payment_request("", name="api-shop-payment-request")
class PaymentRequestView(common.PaymentsView):
    @extend_schema(responses=common.RequestStateSerializer)
    def get(self, request: Request, shop_id: int, request_id: int) -> Response:
        """The request's status (open, paid, cancelled, expired), for the till to poll."""
        shop = _shop(request, shop_id)
        state = selectors.request_status(request_id=request_id, shop=shop)
        if state is None:
            raise NotFound(_("There is no such payment request."))
        response = Response(common.RequestStateSerializer(state).data)
        response["Cache-Control"] = "no-store"
        return response


@payment_request("cancel/", name="api-shop-payment-request-cancel")
class PaymentRequestCancelView(common.PaymentsView):
    @extend_schema(request=None, responses=common.RequestStateSerializer)
    def post(self, request: Request, shop_id: int, request_id: int) -> Response:
        """Cancel an open request (a paid one stays paid)."""
        cancelled = services.payment_request_cancel(
            cashier=request_user(request, User), shop_id=shop_id, request_id=request_id
        )
        state = selectors.request_status(request_id=cancelled.pk, shop=cancelled.shop)
        return Response(common.RequestStateSerializer(state).data)


KIND_PARAMETER = OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=["svg", "png"])


@payment_request("qr.<str:kind>", name="api-shop-payment-request-qr")
class PaymentRequestImageView(common.PaymentsView):
    @extend_schema(parameters=[KIND_PARAMETER], responses=common.IMAGE_RESPONSES)
    def get(self, request: Request, shop_id: int, request_id: int, kind: str) -> HttpResponse:
        """The request's QR as an image (while its signing key is the active one)."""
        shop = _shop(request, shop_id)
        if kind not in common.IMAGE_KINDS:
            raise NotFound(_("There is nothing at this address."))
        made = PaymentRequest.objects.filter(pk=request_id, shop=shop).first()
        if made is None:
            raise NotFound(_("There is no such payment request."))
        return common._image(services.payment_request_payload(made), kind, f"request-{made.pk}")


@routes("payments/", name="api-shop-payments")
class ShopPaymentsView(common.PaymentsView):
    @extend_schema(parameters=[common.DayQuerySerializer], responses=common.DaySerializer)
    def get(self, request: Request, shop_id: int) -> Response:
        """The shop's payments of a day (today by default, Europe/Amsterdam) and the total."""
        shop = _shop(request, shop_id)
        params = query(request, common.DayQuerySerializer)
        day: date = params.get("date") or timezone.localdate()
        result = selectors.shop_day_payments(shop=shop, day=day)
        return Response(
            common.DaySerializer(
                {
                    "date": day,
                    "total": result.total,
                    "refunded": result.refunded,
                    "net": result.net,
                    "payments": [common._shop_payment(p) for p in result.payments],
                }
            ).data
        )


@routes("payments/<int:payment_id>/refunds/", name="api-shop-refunds")
class RefundsView(common.PaymentsView):
    @extend_schema(request=common.RefundRequestSerializer, responses={201: common.RefundSerializer})
    def post(self, request: Request, shop_id: int, payment_id: int) -> Response:
        """Refund part or all of a payment to this shop, back to the payer's wallet. Cashiers
        up to CASHIER_REFUND_MAX per refund; the owner any amount up to what is left."""
        data = validated(request, common.RefundRequestSerializer)
        made = services.payment_refund(
            actor=request_user(request, User),
            shop_id=shop_id,
            payment_id=payment_id,
            amount=data["amount"],
            reason=data["reason"],
            idempotency_key=data.get("idempotency_key"),
        )
        return Response(common._refund(made), status=status.HTTP_201_CREATED)


@routes("poster.<str:kind>", name="api-shop-poster")
class PosterView(common.PaymentsView):
    @extend_schema(parameters=[KIND_PARAMETER], responses=common.IMAGE_RESPONSES)
    def get(self, request: Request, shop_id: int, kind: str) -> HttpResponse:
        """The shop's poster QR (HEITJE:1:S:<id>) to print: residents scan it and type the
        amount."""
        shop = _shop(request, shop_id)
        if kind not in common.IMAGE_KINDS:
            raise NotFound(_("There is nothing at this address."))
        return common._image(codes.shop_encode(shop.pk), kind, f"shop-{shop.pk}-poster")
