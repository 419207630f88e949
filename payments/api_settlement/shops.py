"""Shops: redeem a voucher at the till (owner or cashier); the owner requests and lists
settlements. Someone else's shop answers 404."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import validated
from core.routes import Routes
from shops.selectors import shop_membership

from .. import settlement, vouchers
from ..models import (
    Payment,
)
from .serializers import (
    RedeemSerializer,
    SettlementRequestSerializer,
    SettlementSerializer,
    ShopSettlementsSerializer,
    VoucherPaymentSerializer,
    _user,
)

# One shop's, under shops/<id>/.
routes = Routes()
shop = routes.group("shops/<int:shop_id>/")

# --- shops -------------------------------------------------------------------------------------


@shop("vouchers/redeem/", name="api-shop-voucher-redeem")
class ShopVoucherRedeemView(APIView):
    @extend_schema(
        request=RedeemSerializer, responses={201: VoucherPaymentSerializer}, tags=["vouchers"]
    )
    def post(self, request: Request, shop_id: int) -> Response:
        """Redeem a paper voucher at the till (owner or cashier): its value is paid into the
        shop, once."""
        payment: Payment = vouchers.voucher_redeem(
            cashier=_user(request), shop_id=shop_id, **validated(request, RedeemSerializer)
        )
        return Response(VoucherPaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


@shop("settlements/", name="api-shop-settlements")
class ShopSettlementsView(APIView):
    @extend_schema(responses=ShopSettlementsSerializer, tags=["settlement"])
    def get(self, request: Request, shop_id: int) -> Response:
        """The shop's settlements, newest first, and what can still be requested (owner)."""
        rows = list(settlement.shop_settlements(owner=_user(request), shop_id=shop_id))
        shop = shop_membership(user=_user(request), shop_id=shop_id).shop
        available = settlement.settlement_available(shop=shop)
        return Response(
            ShopSettlementsSerializer(
                {
                    "balance": available.balance,
                    "available": available.amount,
                    "fee_permille": settings.SETTLEMENT_FEE_PERMILLE,
                    "settlements": rows,
                }
            ).data
        )

    @extend_schema(
        request=SettlementRequestSerializer,
        responses={201: SettlementSerializer},
        tags=["settlement"],
    )
    def post(self, request: Request, shop_id: int) -> Response:
        """Ask to redeem tokens for euros, paid to the shop's IBAN (owner of an approved
        shop; at most the balance minus open requests)."""
        done = settlement.settlement_request(
            owner=_user(request), shop_id=shop_id, **validated(request, SettlementRequestSerializer)
        )
        return Response(SettlementSerializer(done).data, status=status.HTTP_201_CREATED)
