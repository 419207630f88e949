"""Shops: redeem a voucher at the till (owner or cashier); the owner requests and lists
settlements. Someone else's shop answers 404."""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from core.api import request_user, validated
from core.routes import Routes
from shops.selectors import shop_membership

from .. import settlement, vouchers
from ..models import Payment
from . import serializers

# One shop's, under shops/<id>/ (the package mounts them there, as payments.api does the shop's
# payments).
routes = Routes()

# --- shops -------------------------------------------------------------------------------------


@routes("vouchers/redeem/", name="api-shop-voucher-redeem")
class ShopVoucherRedeemView(APIView):
    @extend_schema(
        request=serializers.RedeemSerializer,
        responses={201: serializers.VoucherPaymentSerializer},
        tags=["vouchers"],
    )
    def post(self, request: Request, shop_id: int) -> Response:
        """Redeem a paper voucher at the till (owner or cashier): its value is paid into the
        shop, once."""
        payment: Payment = vouchers.voucher_redeem(
            cashier=request_user(request, User),
            shop_id=shop_id,
            **validated(request, serializers.RedeemSerializer),
        )
        return Response(
            serializers.VoucherPaymentSerializer(payment).data, status=status.HTTP_201_CREATED
        )


@routes("settlements/", name="api-shop-settlements")
class ShopSettlementsView(APIView):
    @extend_schema(responses=serializers.ShopSettlementsSerializer, tags=["settlement"])
    def get(self, request: Request, shop_id: int) -> Response:
        """The shop's settlements, newest first, and what can still be requested (owner)."""
        rows = list(settlement.shop_settlements(owner=request_user(request, User), shop_id=shop_id))
        shop = shop_membership(user=request_user(request, User), shop_id=shop_id).shop
        available = settlement.settlement_available(shop=shop)
        return Response(
            serializers.ShopSettlementsSerializer(
                {
                    "balance": available.balance,
                    "available": available.amount,
                    "fee_permille": settings.SETTLEMENT_FEE_PERMILLE,
                    "settlements": rows,
                }
            ).data
        )

    @extend_schema(
        request=serializers.SettlementRequestSerializer,
        responses={201: serializers.SettlementSerializer},
        tags=["settlement"],
    )
    def post(self, request: Request, shop_id: int) -> Response:
        """Ask to redeem tokens for euros, paid to the shop's IBAN (owner of an approved
        shop; at most the balance minus open requests)."""
        done = settlement.settlement_request(
            owner=request_user(request, User),
            shop_id=shop_id,
            **validated(request, serializers.SettlementRequestSerializer),
        )
        return Response(serializers.SettlementSerializer(done).data, status=status.HTTP_201_CREATED)
