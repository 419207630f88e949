"""Payments API, the wallet's side: pay codes, payment requests previewed and paid, poster
payments and the resident's payments (payments.api lists the routes)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import User
from core.api import query, request_user, validated
from core.routes import Routes

from . import qr, selectors, services
from .api_common import (
    PayCodeRequestSerializer,
    PayCodeSerializer,
    PayloadSerializer,
    PaymentSerializer,
    PaymentsView,
    PayShopSerializer,
    PreviewSerializer,
    ShopCardSerializer,
    ShopQuerySerializer,
    WalletPaymentsQuerySerializer,
    _payment,
)

# The resident's side, under wallet/ (payments.api).
routes = Routes()

DATETIME = serializers.DateTimeField()  # the API's date-times, as its serializers write them

# --- wallet --------------------------------------------------------------------------------


@routes("pay-codes/", name="api-pay-codes")
class PayCodesView(PaymentsView):
    @extend_schema(request=PayCodeRequestSerializer, responses={201: PayCodeSerializer})
    def post(self, request: Request) -> Response:
        """A new one-time pay code (valid about a minute) for the till to scan or type. It
        ends your older codes. Only its hash is stored: this is the only time it is shown.
        With the QR as SVG and PNG, unless `images` is false (a wallet that draws it)."""
        data = validated(request, PayCodeRequestSerializer)
        confirm = data["confirm_up_to"]
        issued = services.pay_token_issue(user=request_user(request, User), confirm_up_to=confirm)
        # PayCodeSerializer's representation, written out (on every payment; the schema keeps
        # the serializer, and tests/payments/test_hot_rows.py holds the two equal).
        body = {
            "payload": issued.payload,
            "short_code": issued.short_code,
            "expires_at": DATETIME.to_representation(issued.expires_at),
            "confirm_up_to": int(confirm),
        }
        if data["images"]:
            body["qr_svg"], body["qr_png"] = qr.data_urls(issued.payload)
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


@routes("payments/", name="api-wallet-payments")
class WalletPaymentsView(PaymentsView):
    @extend_schema(
        parameters=[WalletPaymentsQuerySerializer], responses=PaymentSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        """Your payments in shops, newest first, with the shops' names and refunds."""
        params = query(request, WalletPaymentsQuerySerializer)
        rows = selectors.resident_payments(user=request_user(request, User), limit=params["limit"])
        return Response([PaymentSerializer(_payment(p)).data for p in rows])


@routes("pay-requests/", name="api-pay-request-preview")
class PayRequestPreviewView(PaymentsView):
    @extend_schema(request=PayloadSerializer, responses=PreviewSerializer)
    def post(self, request: Request) -> Response:
        """Check a scanned shop code (signature, key, expiry, currency, still open) and show
        the shop and amount, without paying. `payload` may also be the 9-digit short code the
        till shows beside the QR; wrong short codes count towards a limit (429)."""
        data = validated(request, PayloadSerializer)
        preview = services.payment_request_preview(
            user=request_user(request, User), payload=data["payload"]
        )
        return Response(PreviewSerializer(preview).data)


@routes("pay-requests/pay/", name="api-pay-request-pay")
class PayRequestPayView(PaymentsView):
    @extend_schema(request=PayloadSerializer, responses={201: PaymentSerializer})
    def post(self, request: Request) -> Response:
        """Pay a scanned shop code from your wallet (once: a second try is refused)."""
        data = validated(request, PayloadSerializer)
        payment = services.payment_request_pay(
            user=request_user(request, User), payload=data["payload"]
        )
        return Response(PaymentSerializer(_payment(payment)).data, status=status.HTTP_201_CREATED)


@routes("pay-shop/", name="api-pay-shop")
class PayShopView(PaymentsView):
    @extend_schema(parameters=[ShopQuerySerializer], responses=ShopCardSerializer)
    def get(self, request: Request) -> Response:
        """The shop a poster code names, to show its name before you type an amount."""
        params = query(request, ShopQuerySerializer)
        shop = services.static_shop(params["shop"])
        return Response(
            ShopCardSerializer(
                {
                    "shop_id": shop.pk,
                    "shop_name": shop.name,
                    "shop_label": shop.label,
                    "address": shop.address,
                }
            ).data
        )

    @extend_schema(request=PayShopSerializer, responses={201: PaymentSerializer})
    def post(self, request: Request) -> Response:
        """Pay an amount you typed to the shop a poster code names. With an idempotency_key a
        retried request returns the first payment."""
        data = validated(request, PayShopSerializer)
        payment = services.pay_static_shop(
            user=request_user(request, User),
            shop=data["shop"],
            amount=data["amount"],
            idempotency_key=data.get("idempotency_key"),
        )
        return Response(PaymentSerializer(_payment(payment)).data, status=status.HTTP_201_CREATED)
