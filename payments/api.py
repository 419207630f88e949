"""Payments API (tag "payments"): the resident's codes, payment requests and poster payments in
the wallet; charges, payment requests, the day's payments, refunds and the poster at the shop.
Views validate input, call one service and serialise the result; someone else's shop,
payment or request answers 404. Formats: docs/qr.md."""

from datetime import date
from typing import Any

from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import NotFound
from accounts.models import User
from shops.selectors import shop_membership

from . import codes, qr, selectors, services
from .models import Payment, PaymentMethod, PaymentRequest, Refund

TAGS = ["payments"]
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


class PayCodeSerializer(serializers.Serializer):
    payload = serializers.CharField(help_text="The QR text: HEITJE:1:P:<token> (docs/qr.md).")
    short_code = serializers.CharField(help_text="8 digits for typing at the till.")
    expires_at = serializers.DateTimeField()
    confirm_up_to = serializers.IntegerField()
    qr_svg = serializers.CharField(help_text="data: URL of the QR as SVG.")
    qr_png = serializers.CharField(help_text="data: URL of the QR as PNG.")


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


class WalletPaymentsQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)


# --- helpers -------------------------------------------------------------------------------


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


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


# --- wallet --------------------------------------------------------------------------------


class PayCodesView(APIView):
    @extend_schema(request=PayCodeRequestSerializer, responses={201: PayCodeSerializer}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """A new one-time pay code (valid about a minute) for the till to scan or type. It
        ends your older codes. Only its hash is stored: this is the only time it is shown."""
        form = PayCodeRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        confirm = form.validated_data["confirm_up_to"]
        issued = services.pay_token_issue(user=_user(request), confirm_up_to=confirm)
        body = PayCodeSerializer(
            {
                "payload": issued.payload,
                "short_code": issued.short_code,
                "expires_at": issued.expires_at,
                "confirm_up_to": confirm,
                "qr_svg": qr.data_url_svg(issued.payload),
                "qr_png": qr.data_url_png(issued.payload),
            }
        ).data
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class WalletPaymentsView(APIView):
    @extend_schema(
        parameters=[WalletPaymentsQuerySerializer],
        responses=PaymentSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        """Your payments in shops, newest first, with the shops' names and refunds."""
        query = WalletPaymentsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.resident_payments(user=_user(request), limit=query.validated_data["limit"])
        return Response([PaymentSerializer(_payment(p)).data for p in rows])


class PayRequestPreviewView(APIView):
    @extend_schema(request=PayloadSerializer, responses=PreviewSerializer, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Check a scanned shop code (signature, key, expiry, currency, still open) and show
        the shop and amount, without paying. `payload` may also be the 9-digit short code the
        till shows beside the QR; wrong short codes count towards a limit (429)."""
        form = PayloadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        preview = services.payment_request_preview(
            user=_user(request), payload=form.validated_data["payload"]
        )
        return Response(PreviewSerializer(preview).data)


class PayRequestPayView(APIView):
    @extend_schema(request=PayloadSerializer, responses={201: PaymentSerializer}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Pay a scanned shop code from your wallet (once: a second try is refused)."""
        form = PayloadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        payment = services.payment_request_pay(
            user=_user(request), payload=form.validated_data["payload"]
        )
        return Response(PaymentSerializer(_payment(payment)).data, status=status.HTTP_201_CREATED)


class PayShopView(APIView):
    @extend_schema(parameters=[ShopQuerySerializer], responses=ShopCardSerializer, tags=TAGS)
    def get(self, request: Request) -> Response:
        """The shop a poster code names, to show its name before you type an amount."""
        query = ShopQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        shop = services.static_shop(query.validated_data["shop"])
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

    @extend_schema(request=PayShopSerializer, responses={201: PaymentSerializer}, tags=TAGS)
    def post(self, request: Request) -> Response:
        """Pay an amount you typed to the shop a poster code names. With an idempotency_key a
        retried request returns the first payment."""
        form = PayShopSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        payment = services.pay_static_shop(
            user=_user(request),
            shop=data["shop"],
            amount=data["amount"],
            idempotency_key=data.get("idempotency_key"),
        )
        return Response(PaymentSerializer(_payment(payment)).data, status=status.HTTP_201_CREATED)


# --- shop ----------------------------------------------------------------------------------


class ChargesView(APIView):
    @extend_schema(
        request=ChargeSerializer,
        responses={201: ShopPaymentSerializer, 202: RequestStateSerializer},
        tags=TAGS,
    )
    def post(self, request: Request, shop_id: int) -> Response:
        """Charge a resident's code (scanned or typed) for an amount, into this shop. Too many
        wrong codes in a few minutes answer 429. Above PAYMENT_CONFIRM_ABOVE, unless the code
        carries the resident's confirmation, the answer is 202 with a payment request waiting
        for the resident to confirm on their phone: poll it as a shown request."""
        form = ChargeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        payment = services.charge_with_token(
            cashier=_user(request),
            shop_id=shop_id,
            amount=form.validated_data["amount"],
            code=form.validated_data["code"],
        )
        if isinstance(payment, PaymentRequest):
            state = selectors.request_status(request_id=payment.pk, shop=payment.shop)
            return Response(RequestStateSerializer(state).data, status=status.HTTP_202_ACCEPTED)
        return Response(
            ShopPaymentSerializer(_shop_payment(payment)).data, status=status.HTTP_201_CREATED
        )


class PaymentRequestsView(APIView):
    @extend_schema(request=AmountSerializer, responses={201: RequestCreatedSerializer}, tags=TAGS)
    def post(self, request: Request, shop_id: int) -> Response:
        """A signed payment request for the resident to scan; poll its status to see "paid"."""
        form = AmountSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        made, payload = services.payment_request_create(
            cashier=_user(request), shop_id=shop_id, amount=form.validated_data["amount"]
        )
        body = RequestCreatedSerializer(
            {
                "id": made.pk,
                "payload": payload,
                "short_code": made.short_code,
                "amount": made.amount,
                "currency": made.currency,
                "expires_at": made.expires_at,
                "status": made.status,
                "qr_svg": qr.data_url_svg(payload),
                "qr_png": qr.data_url_png(payload),
            }
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class PaymentRequestView(APIView):
    @extend_schema(responses=RequestStateSerializer, tags=TAGS)
    def get(self, request: Request, shop_id: int, request_id: int) -> Response:
        """The request's status (open, paid, cancelled, expired), for the till to poll."""
        shop = shop_membership(user=_user(request), shop_id=shop_id).shop
        state = selectors.request_status(request_id=request_id, shop=shop)
        if state is None:
            raise NotFound(_("There is no such payment request."))
        response = Response(RequestStateSerializer(state).data)
        response["Cache-Control"] = "no-store"
        return response


class PaymentRequestCancelView(APIView):
    @extend_schema(request=None, responses=RequestStateSerializer, tags=TAGS)
    def post(self, request: Request, shop_id: int, request_id: int) -> Response:
        """Cancel an open request (a paid one stays paid)."""
        cancelled = services.payment_request_cancel(
            cashier=_user(request), shop_id=shop_id, request_id=request_id
        )
        state = selectors.request_status(request_id=cancelled.pk, shop=cancelled.shop)
        return Response(RequestStateSerializer(state).data)


KIND_PARAMETER = OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=["svg", "png"])


class PaymentRequestImageView(APIView):
    @extend_schema(parameters=[KIND_PARAMETER], responses=IMAGE_RESPONSES, tags=TAGS)
    def get(self, request: Request, shop_id: int, request_id: int, kind: str) -> HttpResponse:
        """The request's QR as an image (while its signing key is the active one)."""
        shop = shop_membership(user=_user(request), shop_id=shop_id).shop
        if kind not in IMAGE_KINDS:
            raise NotFound(_("There is nothing at this address."))
        made = PaymentRequest.objects.filter(pk=request_id, shop=shop).first()
        if made is None:
            raise NotFound(_("There is no such payment request."))
        return _image(services.payment_request_payload(made), kind, f"request-{made.pk}")


class ShopPaymentsView(APIView):
    @extend_schema(parameters=[DayQuerySerializer], responses=DaySerializer, tags=TAGS)
    def get(self, request: Request, shop_id: int) -> Response:
        """The shop's payments of a day (today by default, Europe/Amsterdam) and the total."""
        shop = shop_membership(user=_user(request), shop_id=shop_id).shop
        query = DayQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day: date = query.validated_data.get("date") or timezone.localdate()
        result = selectors.shop_day_payments(shop=shop, day=day)
        return Response(
            DaySerializer(
                {
                    "date": day,
                    "total": result.total,
                    "refunded": result.refunded,
                    "net": result.net,
                    "payments": [_shop_payment(p) for p in result.payments],
                }
            ).data
        )


class RefundsView(APIView):
    @extend_schema(request=RefundRequestSerializer, responses={201: RefundSerializer}, tags=TAGS)
    def post(self, request: Request, shop_id: int, payment_id: int) -> Response:
        """Refund part or all of a payment to this shop, back to the payer's wallet. Cashiers
        up to CASHIER_REFUND_MAX per refund; the owner any amount up to what is left."""
        form = RefundRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        made = services.refund(
            actor=_user(request),
            shop_id=shop_id,
            payment_id=payment_id,
            amount=data["amount"],
            reason=data["reason"],
            idempotency_key=data.get("idempotency_key"),
        )
        return Response(_refund(made), status=status.HTTP_201_CREATED)


class PosterView(APIView):
    @extend_schema(parameters=[KIND_PARAMETER], responses=IMAGE_RESPONSES, tags=TAGS)
    def get(self, request: Request, shop_id: int, kind: str) -> HttpResponse:
        """The shop's poster QR (HEITJE:1:S:<id>) to print: residents scan it and type the
        amount."""
        shop = shop_membership(user=_user(request), shop_id=shop_id).shop
        if kind not in IMAGE_KINDS:
            raise NotFound(_("There is nothing at this address."))
        return _image(codes.shop_encode(shop.pk), kind, f"shop-{shop.pk}-poster")


urlpatterns: list[URLPattern | URLResolver] = [
    path("wallet/pay-codes/", PayCodesView.as_view(), name="api-pay-codes"),
    path("wallet/payments/", WalletPaymentsView.as_view(), name="api-wallet-payments"),
    path("wallet/pay-requests/", PayRequestPreviewView.as_view(), name="api-pay-request-preview"),
    path("wallet/pay-requests/pay/", PayRequestPayView.as_view(), name="api-pay-request-pay"),
    path("wallet/pay-shop/", PayShopView.as_view(), name="api-pay-shop"),
    path("shops/<int:shop_id>/charges/", ChargesView.as_view(), name="api-shop-charges"),
    path(
        "shops/<int:shop_id>/payment-requests/",
        PaymentRequestsView.as_view(),
        name="api-shop-payment-requests",
    ),
    path(
        "shops/<int:shop_id>/payment-requests/<int:request_id>/",
        PaymentRequestView.as_view(),
        name="api-shop-payment-request",
    ),
    path(
        "shops/<int:shop_id>/payment-requests/<int:request_id>/cancel/",
        PaymentRequestCancelView.as_view(),
        name="api-shop-payment-request-cancel",
    ),
    path(
        "shops/<int:shop_id>/payment-requests/<int:request_id>/qr.<str:kind>",
        PaymentRequestImageView.as_view(),
        name="api-shop-payment-request-qr",
    ),
    path("shops/<int:shop_id>/payments/", ShopPaymentsView.as_view(), name="api-shop-payments"),
    path(
        "shops/<int:shop_id>/payments/<int:payment_id>/refunds/",
        RefundsView.as_view(),
        name="api-shop-refunds",
    ),
    path("shops/<int:shop_id>/poster.<str:kind>", PosterView.as_view(), name="api-shop-poster"),
]
