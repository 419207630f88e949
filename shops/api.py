"""Shops' API: onboarding, the owner's shop and cashiers, accepting an invitation, and the
staff's approval queue. Someone else's shop answers 404."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import staff_permission
from core.api import ActionView, KeysetPage, page_response, query, request_user, sent, validated
from core.routes import Routes
from ledger import selectors as ledger_selectors

from . import cashiers, selectors, services
from .models import CashierInvite, Shop, ShopCategory, ShopMember, ShopStatus

# One shop, for its owner and cashiers, and for staff: under shops/<id>/ and staff/shops/<id>/.
routes = Routes()
shop = routes.group("shops/<int:shop_id>/")
staff_shop = routes.group("staff/shops/<int:shop_id>/")

StaffShopPermission = staff_permission(*services.SHOP_STAFF_ROLES)


class ShopApplySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=services.NAME_MAX)
    address = serializers.CharField(max_length=services.ADDRESS_MAX)
    category = serializers.ChoiceField(choices=ShopCategory.choices)
    iban = serializers.CharField(max_length=50)
    chamber_of_commerce = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )


class ShopUpdateSerializer(ShopApplySerializer):
    """Any of the details; those left out keep their value. A new IBAN needs `password`."""

    password = serializers.CharField(
        max_length=128,
        required=False,
        write_only=True,
        help_text="Your password, typed again: needed to change the IBAN.",
    )


class ShopSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    category = serializers.CharField()
    status = serializers.ChoiceField(choices=ShopStatus.choices)
    status_reason = serializers.CharField(help_text="Why the shop is suspended, if it is.")
    role = serializers.CharField(help_text="Your role in the shop: owner or cashier.")
    iban = serializers.CharField(allow_null=True, help_text="Shown to the owner only.")
    chamber_of_commerce = serializers.CharField(allow_null=True, help_text="Owner only.")
    balance = serializers.IntegerField(
        allow_null=True, help_text="Minor units; null until the shop has an account."
    )
    pending_name = serializers.CharField(
        allow_null=True, help_text="A new name waiting for staff review (owner only)."
    )
    pending_address = serializers.CharField(
        allow_null=True, help_text="A new address waiting for staff review (owner only)."
    )
    iban_changed_at = serializers.DateTimeField(allow_null=True, help_text="Owner only.")
    created_at = serializers.DateTimeField()


class CashierSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    since = serializers.DateTimeField()


class InviteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class CashiersSerializer(serializers.Serializer):
    cashiers = CashierSerializer(many=True)
    invites = InviteSerializer(many=True)


class InviteRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class AcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=100)


class StaffShopSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    category = serializers.CharField()
    iban = serializers.CharField()
    chamber_of_commerce = serializers.CharField()
    status = serializers.ChoiceField(choices=ShopStatus.choices)
    status_reason = serializers.CharField()
    applicant = serializers.EmailField(source="created_by.email")
    created_at = serializers.DateTimeField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    account_id = serializers.IntegerField(allow_null=True)
    pending_name = serializers.CharField(help_text="A new name waiting for review, or empty.")
    pending_address = serializers.CharField(help_text="A new address waiting, or empty.")
    change_requested_at = serializers.DateTimeField(allow_null=True)
    iban_changed_at = serializers.DateTimeField(allow_null=True)


class StaffListQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ShopStatus.choices, required=False)
    change_pending = serializers.BooleanField(
        required=False, default=False, help_text="Only shops whose new name or address waits."
    )


class SuspendSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.REASON_MAX)


def _user(request: Request) -> User:
    return request_user(request, User)


def _shop_body(shop: Shop, role: str) -> dict[str, Any]:
    owner = role == "owner"
    balance = (
        ledger_selectors.account_balance(account_id=shop.account_id)
        if shop.account_id is not None
        else None
    )
    return ShopSerializer(
        {
            "id": shop.pk,
            "name": shop.name,
            "address": shop.address,
            "category": shop.category,
            "status": shop.status,
            "status_reason": shop.status_reason,
            "role": role,
            "iban": shop.iban if owner else None,
            "chamber_of_commerce": shop.chamber_of_commerce if owner else None,
            "balance": balance,
            "pending_name": shop.pending_name if owner and shop.change_pending else None,
            "pending_address": shop.pending_address if owner and shop.change_pending else None,
            "iban_changed_at": shop.iban_changed_at if owner else None,
            "created_at": shop.created_at,
        }
    ).data


def _cashier(member: ShopMember) -> dict[str, Any]:
    return {
        "user_id": member.user_id,
        "email": member.user.email,
        "display_name": member.user.display_name,
        "since": member.created_at,
    }


def _invite(invite: CashierInvite) -> dict[str, Any]:
    return InviteSerializer(invite).data


@routes("shops/", name="api-shops")
class ShopsView(APIView):
    @extend_schema(responses=ShopSerializer(many=True), tags=["shops"])
    def get(self, request: Request) -> Response:
        """The shops you belong to, with your role in each."""
        return Response(
            [_shop_body(m.shop, m.role) for m in selectors.shop_memberships(user=_user(request))]
        )

    @extend_schema(request=ShopApplySerializer, responses={201: ShopSerializer}, tags=["shops"])
    def post(self, request: Request) -> Response:
        """Register a shop. It waits for approval by the municipality; you are its owner."""
        fields = validated(request, ShopApplySerializer)
        shop = services.shop_apply(owner=_user(request), **fields)
        return Response(_shop_body(shop, "owner"), status=status.HTTP_201_CREATED)


@shop("", name="api-shop")
class ShopView(APIView):
    @extend_schema(responses=ShopSerializer, tags=["shops"])
    def get(self, request: Request, shop_id: int) -> Response:
        """One of your shops: status and, once it has an account, its balance."""
        membership = selectors.shop_membership(user=_user(request), shop_id=shop_id)
        return Response(_shop_body(membership.shop, membership.role))

    @extend_schema(request=ShopUpdateSerializer, responses=ShopSerializer, tags=["shops"])
    def patch(self, request: Request, shop_id: int) -> Response:
        """Change the shop's details (owner only). A new IBAN needs your password, is checked
        and recorded; a new name or address of an approved shop waits for staff review."""
        data = sent(request, ShopUpdateSerializer)
        password = data.pop("password", "")
        shop = selectors.shop_membership(user=_user(request), shop_id=shop_id).shop
        current = {
            "name": shop.name,
            "address": shop.address,
            "category": shop.category,
            "iban": shop.iban,
            "chamber_of_commerce": shop.chamber_of_commerce,
        }
        updated = services.shop_update(
            owner=_user(request),
            shop_id=shop_id,
            password=password,
            request=request._request,
            **{**current, **data},
        )
        return Response(_shop_body(updated, "owner"))


@shop("cashiers/", name="api-shop-cashiers")
class CashiersView(APIView):
    @extend_schema(responses=CashiersSerializer, tags=["shops"])
    def get(self, request: Request, shop_id: int) -> Response:
        """The shop's cashiers and open invitations (owner only)."""
        cashiers, invites = selectors.shop_cashiers(owner=_user(request), shop_id=shop_id)
        return Response(
            CashiersSerializer(
                {"cashiers": [_cashier(c) for c in cashiers], "invites": invites}
            ).data
        )


@shop("cashiers/invite/", name="api-shop-cashier-invite")
class CashierInviteView(APIView):
    @extend_schema(
        request=InviteRequestSerializer, responses={201: InviteSerializer}, tags=["shops"]
    )
    def post(self, request: Request, shop_id: int) -> Response:
        """Invite someone by email to be a cashier (owner of an approved shop). The link is
        mailed to them; a new invitation to the same address replaces the open one."""
        invite, _token = cashiers.cashier_invite(
            owner=_user(request), shop_id=shop_id, **validated(request, InviteRequestSerializer)
        )
        return Response(_invite(invite), status=status.HTTP_201_CREATED)


@shop("cashiers/<int:user_id>/", name="api-shop-cashier")
class CashierView(APIView):
    @extend_schema(request=None, responses={204: None}, tags=["shops"])
    def delete(self, request: Request, shop_id: int, user_id: int) -> Response:
        """Remove a cashier from the shop (owner only)."""
        cashiers.cashier_remove(owner=_user(request), shop_id=shop_id, user_id=user_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@shop("invites/<int:invite_id>/", name="api-shop-invite")
class InviteView(APIView):
    @extend_schema(request=None, responses={204: None}, tags=["shops"])
    def delete(self, request: Request, shop_id: int, invite_id: int) -> Response:
        """Withdraw an open invitation (owner only)."""
        cashiers.cashier_invite_revoke(owner=_user(request), shop_id=shop_id, invite_id=invite_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


@routes("shops/invites/accept/", name="api-shop-invite-accept")
class InviteAcceptView(APIView):
    @extend_schema(request=AcceptSerializer, responses=ShopSerializer, tags=["shops"])
    def post(self, request: Request) -> Response:
        """Accept a cashier invitation sent to your email address."""
        member = cashiers.cashier_invite_accept(
            user=_user(request), **validated(request, AcceptSerializer)
        )
        return Response(_shop_body(member.shop, member.role))


@routes("staff/shops/", name="api-staff-shops")
class StaffShopsView(APIView):
    pagination_class = KeysetPage
    permission_classes = (StaffShopPermission,)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=ShopStatus.values),
            OpenApiParameter("change_pending", bool),
        ],
        responses=StaffShopSerializer(many=True),
        tags=["staff"],
    )
    def get(self, request: Request) -> Response:
        """Shops oldest first, optionally of one status: `?status=pending` is the queue;
        `?change_pending=true` lists the new names and addresses waiting for review, the oldest
        request first. Paged by cursor: follow `next`."""
        params = query(request, StaffListQuerySerializer)
        rows = (
            selectors.shops_with_pending_changes()
            if params["change_pending"]
            else selectors.shops_for_staff(status=params.get("status"))
        )
        return page_response(self, request, rows, serializer=StaffShopSerializer)


# What staff do to one shop; the answer is the shop as staff see it.
@extend_schema(request=None, responses=StaffShopSerializer, tags=["staff"])
class StaffShopAction(ActionView):
    permission_classes = (StaffShopPermission,)

    def answer(self, shop: Shop) -> dict[str, Any]:
        return StaffShopSerializer(shop).data


@staff_shop("approve/", name="api-staff-shop-approve")
class StaffShopApproveView(StaffShopAction):
    """Approve a shop (opens its account) or reinstate a suspended one."""

    def act(self, user: User, **arguments: Any) -> Shop:
        return services.shop_approve(staff=user, **arguments)


@staff_shop("suspend/", name="api-staff-shop-suspend")
@extend_schema(request=SuspendSerializer)
class StaffShopSuspendView(StaffShopAction):
    """Suspend a shop, or turn down an application, with a reason; freezes its account."""

    form = SuspendSerializer

    def act(self, user: User, **arguments: Any) -> Shop:
        return services.shop_suspend(staff=user, **arguments)


@staff_shop("change/approve/", name="api-staff-shop-change-approve")
class StaffShopChangeApproveView(StaffShopAction):
    """Accept a shop's new name and address (not by its own members)."""

    def act(self, user: User, **arguments: Any) -> Shop:
        return services.shop_change_approve(staff=user, **arguments)


@staff_shop("change/reject/", name="api-staff-shop-change-reject")
@extend_schema(request=SuspendSerializer)
class StaffShopChangeRejectView(StaffShopAction):
    """Turn a shop's new name and address down with a reason; it keeps its current ones."""

    form = SuspendSerializer

    def act(self, user: User, **arguments: Any) -> Shop:
        return services.shop_change_reject(staff=user, **arguments)
