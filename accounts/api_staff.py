"""The staff API (/api/v1/staff/...): audit log, neighbourhoods, residents, staff members; and
the public list of neighbourhoods that sign-up forms offer. Staff endpoints need the role and a
session that passed TOTP (`staff_permission`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import KeysetPage, page_response, query, request_user, validated
from core.routes import Routes

from . import staff
from .models import STAFF_ROLES, Neighbourhood, ResidentProfile, User
from .permissions import staff_permission

# One staff member's roles and authenticator under staff/members/<id>/.
routes = Routes()
member = routes.group("staff/members/<int:user_id>/")

STAFF_ROLE_CHOICES = sorted(str(r) for r in STAFF_ROLES)


class StaffNeighbourhoodSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    municipality = serializers.CharField(read_only=True)
    name = serializers.CharField(max_length=100)


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    action = serializers.CharField()
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    detail = serializers.JSONField()
    ip_address = serializers.IPAddressField(allow_null=True)
    user_agent = serializers.CharField()


class AuditQuerySerializer(serializers.Serializer):
    action = serializers.CharField(max_length=64, required=False, allow_blank=True)
    actor = serializers.CharField(max_length=254, required=False, allow_blank=True)


class StaffResidentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user_id")
    email = serializers.EmailField(source="user.email")
    display_name = serializers.CharField(source="user.display_name")
    neighbourhood = serializers.IntegerField(source="neighbourhood_id", allow_null=True)
    residency_verified = serializers.SerializerMethodField()
    residency_verified_at = serializers.DateTimeField(allow_null=True)
    residency_method = serializers.CharField()

    def get_residency_verified(self, profile: ResidentProfile) -> bool:
        return profile.residency_verified_at is not None


class ResidentQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=100, required=False, allow_blank=True)
    verified = serializers.BooleanField(required=False, allow_null=True, default=None)


class StaffMemberCreateSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    display_name = serializers.CharField(max_length=100)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=STAFF_ROLE_CHOICES), min_length=1, max_length=5
    )
    language = serializers.ChoiceField(choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)


class StaffRolesSerializer(serializers.Serializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=STAFF_ROLE_CHOICES), max_length=5
    )


class StaffMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


def _member(user: User, roles: set[str]) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "display_name": user.display_name,
        "roles": sorted(roles),
    }


def _user(request: Request) -> User:
    return request_user(request, User)


@routes("neighbourhoods/", name="api-neighbourhoods")
class PublicNeighbourhoodsView(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(responses=StaffNeighbourhoodSerializer(many=True), tags=["neighbourhoods"])
    def get(self, request: Request) -> Response:
        """The neighbourhoods residents and tasks choose from (anyone may read them)."""
        return Response(StaffNeighbourhoodSerializer(Neighbourhood.objects.all(), many=True).data)


@routes("staff/neighbourhoods/", name="api-staff-neighbourhoods")
class StaffNeighbourhoodsView(APIView):
    permission_classes = (staff_permission(*staff.NEIGHBOURHOOD_ROLES),)

    @extend_schema(responses=StaffNeighbourhoodSerializer(many=True), tags=["staff"])
    def get(self, request: Request) -> Response:
        """Every neighbourhood (task managers and administrators)."""
        return Response(StaffNeighbourhoodSerializer(Neighbourhood.objects.all(), many=True).data)

    @extend_schema(
        request=StaffNeighbourhoodSerializer,
        responses={201: StaffNeighbourhoodSerializer},
        tags=["staff"],
    )
    def post(self, request: Request) -> Response:
        """Add a neighbourhood (audited)."""
        fields = validated(request, StaffNeighbourhoodSerializer)
        made = staff.neighbourhood_create(staff=_user(request), **fields)
        return Response(StaffNeighbourhoodSerializer(made).data, status=status.HTTP_201_CREATED)


@routes("staff/neighbourhoods/<int:neighbourhood_id>/", name="api-staff-neighbourhood")
class StaffNeighbourhoodView(APIView):
    permission_classes = (staff_permission(*staff.NEIGHBOURHOOD_ROLES),)

    @extend_schema(
        request=StaffNeighbourhoodSerializer, responses=StaffNeighbourhoodSerializer, tags=["staff"]
    )
    def patch(self, request: Request, neighbourhood_id: int) -> Response:
        """Rename a neighbourhood (audited)."""
        renamed = staff.neighbourhood_rename(
            staff=_user(request),
            neighbourhood_id=neighbourhood_id,
            **validated(request, StaffNeighbourhoodSerializer),
        )
        return Response(StaffNeighbourhoodSerializer(renamed).data)


@routes("staff/audit-log/", name="api-staff-audit-log")
class AuditLogView(APIView):
    permission_classes = (staff_permission(*staff.ADMIN_ROLES),)
    pagination_class = KeysetPage

    @extend_schema(
        parameters=[
            OpenApiParameter("action", str, description="exact, or a prefix ending in a dot"),
            OpenApiParameter("actor", str, description="the actor's email address"),
        ],
        responses=AuditEventSerializer(many=True),
        tags=["staff"],
    )
    def get(self, request: Request) -> Response:
        """The audit log of staff actions, newest first (administrators). Paged by cursor:
        follow `next`; a deep page costs what the first one does."""
        params = query(request, AuditQuerySerializer)
        events = staff.audit_events(
            action=params.get("action", ""),
            actor=params.get("actor", ""),
        )
        return page_response(self, request, events, serializer=AuditEventSerializer)


@routes("staff/residents/", name="api-staff-residents")
class ResidentsView(APIView):
    permission_classes = (staff_permission(*staff.RESIDENT_ROLES),)
    pagination_class = KeysetPage

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="part of the name or email address"),
            OpenApiParameter("verified", bool),
        ],
        responses=StaffResidentSerializer(many=True),
        tags=["staff"],
    )
    def get(self, request: Request) -> Response:
        """Residents in the order they signed up; `?verified=false` is the queue, the longest
        waiting first (reviewers and administrators). Paged by cursor: follow `next`."""
        params = query(request, ResidentQuerySerializer)
        residents = staff.residents_for_staff(
            query=params.get("q", ""), verified=params.get("verified")
        )
        return page_response(self, request, residents, serializer=StaffResidentSerializer)


@routes("staff/members/", name="api-staff-members")
class MembersView(APIView):
    permission_classes = (staff_permission(*staff.ADMIN_ROLES),)

    @extend_schema(
        request=StaffMemberCreateSerializer, responses={201: StaffMemberSerializer}, tags=["staff"]
    )
    def post(self, request: Request) -> Response:
        """Add a staff member; they get a mail to choose a password (administrators)."""
        data = validated(request, StaffMemberCreateSerializer)
        user = staff.staff_create(admin=_user(request), **data)
        body = StaffMemberSerializer(_member(user, set(data["roles"])))
        return Response(body.data, status=status.HTTP_201_CREATED)


@member("roles/", name="api-staff-member-roles")
class MemberRolesView(APIView):
    permission_classes = (staff_permission(*staff.ADMIN_ROLES),)

    @extend_schema(request=StaffRolesSerializer, responses=StaffMemberSerializer, tags=["staff"])
    def put(self, request: Request, user_id: int) -> Response:
        """Set a person's staff roles; nobody removes their own administrator role."""
        roles = staff.staff_roles_set(
            admin=_user(request), user_id=user_id, **validated(request, StaffRolesSerializer)
        )
        user = User.objects.get(pk=user_id)
        return Response(StaffMemberSerializer(_member(user, roles)).data)


class TotpResetSerializer(serializers.Serializer):
    devices_removed = serializers.IntegerField()


@member("totp-reset/", name="api-staff-member-totp-reset")
class MemberTotpResetView(APIView):
    permission_classes = (staff_permission(*staff.ADMIN_ROLES),)

    @extend_schema(request=None, responses=TotpResetSerializer, tags=["staff"])
    def post(self, request: Request, user_id: int) -> Response:
        """Remove a staff member's authenticator (a lost phone): their sessions end and they set
        up a new one at the next sign-in. Not for yourself."""
        removed = staff.staff_totp_reset(admin=_user(request), user_id=user_id)
        return Response(TotpResetSerializer({"devices_removed": removed}).data)
