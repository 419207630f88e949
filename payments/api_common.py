"""The payments API's serializers and helpers, shared by its wallet (payments.api_wallet) and
shop (payments.api_shop) views."""

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from core.api import LimitQuerySerializer

from . import codes, qr, selectors, services
from .models import Payment, PaymentMethod, Refund

TAGS = ["payments"]


# Every view of the payments API, tagged "payments" in the schema here once. (A comment, not a
# docstring: a docstring would be inherited as the description of every operation without one.)
@extend_schema(tags=TAGS)
class PaymentsView(APIView):
    pass


AMOUNT_FIELD: dict[str, Any] = {"min_value": 1, "max_value": 10**12}
CODE_MAX = codes.CODE_MAX


# --- serializers ---------------------------------------------------------------------------


class PayCodeRequestSerializer(serializers.Serializer):
    confirm_up_to = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=10**12,
        help_text="Confirm in advance a payment up to this amount (minor units); needed for "
        "charges above PAYMENT_CONFIRM_ABOVE.",
    )
    images = serializers.BooleanField(
        required=False,
        default=True,
        help_text="false: the answer leaves out qr_svg and qr_png, for a wallet that draws the "
        "QR from payload itself (a third of the request's cost, and ~3 kB).",
    )


class PayCodeSerializer(serializers.Serializer):
    payload = serializers.CharField(help_text="The QR text: HEITJE:1:P:<token> (docs/qr.md).")
    short_code = serializers.CharField(help_text="8 digits for typing at the till.")
    expires_at = serializers.DateTimeField()
    confirm_up_to = serializers.IntegerField()
    qr_svg = serializers.CharField(
        required=False, help_text="data: URL of the QR as SVG (unless images was false)."
    )
    qr_png = serializers.CharField(
        required=False, help_text="data: URL of the QR as PNG (unless images was false)."
    )


class PaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shop_id = serializers.IntegerField()
    shop_name = serializers.CharField()
    amount = serializers.IntegerField(help_text="Minor units.")
    refunded = serializers.IntegerField(help_text="Minor units refunded so far.")
    refundable = serializers.IntegerField(help_text="Minor units still refundable.")
    method = serializers.CharField(help_text=f"One of {', '.join(PaymentMethod.values)}.")
    created_at = serializers.DateTimeField()


class ShopPaymentSerializer(PaymentSerializer):
    cashier = serializers.CharField(allow_null=True, help_text="Who took it, if a person did.")


class PayloadSerializer(serializers.Serializer):
    payload = serializers.CharField(max_length=CODE_MAX, trim_whitespace=True)


class PreviewSerializer(serializers.Serializer):
    request_id = serializers.IntegerField()
    shop_id = serializers.IntegerField()
    shop_name = serializers.CharField()
    shop_label = serializers.CharField(
        help_text='Name and stable shop number to show, e.g. "Bakkerij Bemelmans · shop 12".'
    )
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField()
    payload = serializers.CharField(
        help_text="The signed QR text to pay with (also when a short code was typed)."
    )


class PayShopSerializer(serializers.Serializer):
    shop = serializers.CharField(
        max_length=40, help_text="The poster's QR text (HEITJE:1:S:<id>) or the shop id."
    )
    amount = serializers.IntegerField(**AMOUNT_FIELD)
    idempotency_key = serializers.CharField(max_length=100, required=False)


class ShopQuerySerializer(serializers.Serializer):
    shop = serializers.CharField(max_length=40)


class ShopCardSerializer(serializers.Serializer):
    shop_id = serializers.IntegerField()
    shop_name = serializers.CharField()
    shop_label = serializers.CharField(
        help_text='Name and stable shop number to show, e.g. "Bakkerij Bemelmans · shop 12".'
    )
    address = serializers.CharField()


class ChargeSerializer(serializers.Serializer):
    amount = serializers.IntegerField(**AMOUNT_FIELD)
    code = serializers.CharField(
        max_length=CODE_MAX, help_text="The scanned QR text, the token or the 8-digit short code."
    )


class AmountSerializer(serializers.Serializer):
    amount = serializers.IntegerField(**AMOUNT_FIELD)


class RequestCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    payload = serializers.CharField(help_text="The signed QR text (docs/qr.md).")
    short_code = serializers.CharField(
        help_text="9 digits the resident may type instead of scanning, while it is open."
    )
    amount = serializers.IntegerField()
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField()
    status = serializers.CharField()
    qr_svg = serializers.CharField(help_text="data: URL of the QR as SVG.")
    qr_png = serializers.CharField(help_text="data: URL of the QR as PNG.")


class RequestStateSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="request_id")
    status = serializers.CharField(help_text="open, paid, cancelled or expired.")
    amount = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    payment_id = serializers.IntegerField(allow_null=True)
    paid_at = serializers.DateTimeField(allow_null=True)
    at_resident = serializers.BooleanField(
        help_text="A charge waiting for the resident to confirm it on their own phone."
    )


class DayQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="YYYY-MM-DD; today by default.")


class DaySerializer(serializers.Serializer):
    date = serializers.DateField()
    total = serializers.IntegerField(help_text="Paid that day, minor units.")
    refunded = serializers.IntegerField(help_text="Of that, refunded so far.")
    net = serializers.IntegerField()
    payments = ShopPaymentSerializer(many=True)


class RefundRequestSerializer(serializers.Serializer):
    amount = serializers.IntegerField(**AMOUNT_FIELD)
    reason = serializers.CharField(
        max_length=services.REASON_MAX, required=False, allow_blank=True, default=""
    )
    idempotency_key = serializers.CharField(max_length=100, required=False)


class RefundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    payment_id = serializers.IntegerField()
    amount = serializers.IntegerField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    payment_refunded = serializers.IntegerField(help_text="The payment's refunded total now.")
    payment_refundable = serializers.IntegerField()


# The wallet's last payments: how many (the API's page size and bounds).
WalletPaymentsQuerySerializer = LimitQuerySerializer


# --- helpers -------------------------------------------------------------------------------


def _payment(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.pk,
        "shop_id": payment.shop_id,
        "shop_name": payment.shop.name,
        "amount": payment.amount,
        "refunded": payment.refunded,
        "refundable": selectors.payment_refundable(payment=payment),
        "method": payment.method,
        "created_at": payment.created_at,
    }


def _shop_payment(payment: Payment) -> dict[str, Any]:
    cashier = payment.cashier
    return {
        **_payment(payment),
        "cashier": (cashier.display_name or cashier.email) if cashier is not None else None,
    }


def _refund(refund: Refund) -> dict[str, Any]:
    return RefundSerializer(
        {
            "id": refund.pk,
            "payment_id": refund.payment_id,
            "amount": refund.amount,
            "reason": refund.reason,
            "created_at": refund.created_at,
            "payment_refunded": refund.payment.refunded,
            "payment_refundable": selectors.payment_refundable(payment=refund.payment),
        }
    ).data


IMAGE_KINDS = ("svg", "png")


def _image(payload: str, kind: str, filename: str) -> HttpResponse:
    if kind == "svg":
        response = HttpResponse(qr.qr_svg(payload), content_type="image/svg+xml")
    else:
        response = HttpResponse(qr.qr_png(payload), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="{filename}.{kind}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


IMAGE_RESPONSES: dict[int | tuple[int, str], Any] = {
    (200, "image/svg+xml"): OpenApiResponse(OpenApiTypes.BINARY),
    (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY),
}
