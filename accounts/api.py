"""Residents' API: sign up, and see their own wallet (only their own)."""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import LimitQuerySerializer, query, request_user, validated
from core.routes import Routes
from ledger import selectors as ledger_selectors

from . import selectors, services
from .api_me import PASSWORD_MIN_LENGTH
from .errors import NotAResident
from .models import ResidentProfile, Role, User
from .permissions import IsResident, staff_permission

routes = Routes()


class SignUpSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        min_length=PASSWORD_MIN_LENGTH,
        max_length=128,
        write_only=True,
        style={"input_type": "password"},
    )
    display_name = serializers.CharField(max_length=100)
    neighbourhood = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    birth_year = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1900,
        max_value=2100,
        help_text="Optional; only the youth hourly rate of the earning rules reads it. Up to "
        "this year.",
    )


class SignUpAcceptedSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="Where the mail with the next step went.")
    detail = serializers.CharField()


class WalletSerializer(serializers.Serializer):
    account_id = serializers.IntegerField()
    currency = serializers.CharField()
    decimals = serializers.IntegerField()
    balance = serializers.IntegerField(help_text="In minor units (cents of a token).")
    status = serializers.CharField()
    residency_verified = serializers.BooleanField()


class StatementLineSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    transfer_id = serializers.IntegerField()
    kind = serializers.CharField()
    created_at = serializers.DateTimeField()
    amount = serializers.IntegerField()
    balance_after = serializers.IntegerField()


class StatementSerializer(serializers.Serializer):
    lines = StatementLineSerializer(many=True)
    next_before = serializers.IntegerField(allow_null=True)


class StatementQuerySerializer(LimitQuerySerializer):
    before = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**62,
        help_text="`next_before` of the previous page",
    )


def _profile(request: Request) -> ResidentProfile:
    profile = selectors.resident_profile(user=request_user(request, User))
    if profile is None:
        raise NotAResident("Only residents have a wallet.")
    return profile


@routes("residents/", name="api-signup")
class SignUpView(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(
        request=SignUpSerializer, responses={202: SignUpAcceptedSerializer}, tags=["residents"]
    )
    def post(self, request: Request) -> Response:
        """Sign up as a resident: the account (with its wallet) is made and a link to confirm
        the address is mailed. The answer is the same, 202, when the address already has an
        account: its owner is told by mail instead, so sign-up tells nobody who has one."""
        data = validated(request, SignUpSerializer)
        email = services.resident_sign_up(neighbourhood_id=data.pop("neighbourhood", None), **data)
        body = SignUpAcceptedSerializer(
            {
                "email": email,
                # The sentence of the sign-up page.
                "detail": _(
                    "We sent a link to %(email)s. Open it to confirm your address; then you "
                    "can sign in."
                )
                % {"email": email},
            }
        )
        return Response(body.data, status=status.HTTP_202_ACCEPTED)


@routes("wallet/", name="api-wallet")
class WalletView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(responses=WalletSerializer, tags=["wallet"])
    def get(self, request: Request) -> Response:
        """The signed-in resident's own wallet: balance and status."""
        profile = _profile(request)
        wallet = profile.wallet
        return Response(
            WalletSerializer(
                {
                    "account_id": wallet.pk,
                    "currency": wallet.currency.code,
                    "decimals": wallet.currency.decimals,
                    "balance": ledger_selectors.account_balance(account_id=wallet.pk),
                    "status": wallet.status,
                    "residency_verified": profile.residency_verified_at is not None,
                }
            ).data
        )


@routes("wallet/statement/", name="api-wallet-statement")
class WalletStatementView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(
        parameters=[StatementQuerySerializer],
        responses=StatementSerializer,
        tags=["wallet"],
    )
    def get(self, request: Request) -> Response:
        """The signed-in resident's wallet history, newest first, a page at a time."""
        params = query(request, StatementQuerySerializer)
        page = ledger_selectors.account_statement(
            account_id=_profile(request).wallet_id,
            before_version=params.get("before"),
            limit=params["limit"],
        )
        return Response(
            StatementSerializer({"lines": page.lines, "next_before": page.next_before}).data
        )


class ResidencyCodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)


class ResidencySerializer(serializers.Serializer):
    resident_id = serializers.IntegerField()
    residency_verified = serializers.BooleanField()
    method = serializers.CharField()


class InviteBatchRequestSerializer(serializers.Serializer):
    count = serializers.IntegerField(min_value=1, max_value=services.MAX_BATCH)
    valid_days = serializers.IntegerField(min_value=1, max_value=366, default=90)
    batch = serializers.CharField(max_length=100)


class InviteBatchSerializer(serializers.Serializer):
    batch = serializers.CharField()
    codes = serializers.ListField(child=serializers.CharField())


def _residency(profile: ResidentProfile) -> Response:
    return Response(
        ResidencySerializer(
            {
                "resident_id": profile.user_id,
                "residency_verified": profile.residency_verified_at is not None,
                "method": profile.residency_method,
            }
        ).data
    )


@routes("wallet/residency/", name="api-residency")
class ResidencyCodeView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(request=ResidencyCodeSerializer, responses=ResidencySerializer, tags=["wallet"])
    def post(self, request: Request) -> Response:
        """Verify your residency with the code from the municipality's letter."""
        profile = services.residency_verify_with_code(
            user=request_user(request, User), **validated(request, ResidencyCodeSerializer)
        )
        return _residency(profile)


@routes("staff/invite-codes/", name="api-invite-codes")
class InviteCodeBatchView(APIView):
    permission_classes = (staff_permission(Role.REVIEWER, Role.ADMIN),)

    @extend_schema(
        request=InviteBatchRequestSerializer, responses={201: InviteBatchSerializer}, tags=["staff"]
    )
    def post(self, request: Request) -> Response:
        """Generate a batch of single-use residency codes (reviewers and administrators)."""
        data = validated(request, InviteBatchRequestSerializer)
        codes = services.invite_codes_generate(created_by=request_user(request, User), **data)
        body = InviteBatchSerializer({"batch": data["batch"], "codes": codes})
        return Response(body.data, status=status.HTTP_201_CREATED)


@routes("staff/residents/<int:resident_id>/verify/", name="api-resident-verify")
class ResidentVerifyView(APIView):
    permission_classes = (staff_permission(Role.REVIEWER, Role.ADMIN),)

    @extend_schema(request=None, responses=ResidencySerializer, tags=["staff"])
    def post(self, request: Request, resident_id: int) -> Response:
        """Confirm that a resident lives in the municipality (reviewers and administrators)."""
        profile = services.residency_verify_by_staff(
            staff=request_user(request, User), resident_id=resident_id
        )
        return _residency(profile)
