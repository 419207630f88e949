"""Tasks (under /api/v1/): staff create, change, publish and close them; residents browse the
published tasks open now, nearest first when they give a location."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import IsResident
from core.api import ActionView, Page, page_response, query, sent, validated
from core.routes import Routes

from .. import selectors, work
from ..models import (
    Task,
    TaskCategory,
    TaskStatus,
)
from .common import AnyStaff, PlainChoiceField, request_user, stored_degrees

# One task for staff, under staff/tasks/<id>/.
routes = Routes()
task = routes.group("staff/tasks/<int:task_id>/")

# --- Tasks (staff) -----------------------------------------------------------------------


def _typed_degrees(most: int) -> serializers.DecimalField:
    """A task's latitude (`most` 90) or longitude (180) as staff give it, to six decimals;
    optional, null for none."""
    return serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-most,
        max_value=most,
        required=False,
        allow_null=True,
    )


def _optional_text(most: int) -> serializers.CharField:
    """A task's text in a language other than Dutch, or where and when its materials are
    picked up: up to `most` characters, optional, blank for none."""
    return serializers.CharField(max_length=most, required=False, allow_blank=True)


class TaskWriteSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(min_value=1, max_value=2**62)
    title_nl = serializers.CharField(max_length=work.TITLE_MAX)
    title_de = _optional_text(work.TITLE_MAX)
    title_en = _optional_text(work.TITLE_MAX)
    description_nl = serializers.CharField(max_length=work.DESCRIPTION_MAX)
    description_de = _optional_text(work.DESCRIPTION_MAX)
    description_en = _optional_text(work.DESCRIPTION_MAX)
    category = PlainChoiceField(choices=TaskCategory.choices)
    neighbourhood = serializers.IntegerField(
        min_value=1, max_value=2**31 - 1, required=False, allow_null=True
    )
    latitude = _typed_degrees(90)
    longitude = _typed_degrees(180)
    reward = serializers.IntegerField(min_value=1, max_value=work.REWARD_MAX)
    estimated_minutes = serializers.IntegerField(min_value=1, max_value=work.MINUTES_MAX)
    capacity = serializers.IntegerField(min_value=1, max_value=work.CAPACITY_MAX)
    per_resident_limit = serializers.IntegerField(
        min_value=1, max_value=work.CAPACITY_MAX, required=False
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    photo_required = serializers.BooleanField(required=False)
    note_required = serializers.BooleanField(required=False)
    location_required = serializers.BooleanField(required=False)
    materials_where = _optional_text(work.MATERIALS_MAX)
    materials_when = _optional_text(work.MATERIALS_MAX)
    materials_where_de = _optional_text(work.MATERIALS_MAX)
    materials_where_en = _optional_text(work.MATERIALS_MAX)
    materials_when_de = _optional_text(work.MATERIALS_MAX)
    materials_when_en = _optional_text(work.MATERIALS_MAX)


class TaskStaffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.IntegerField(source="campaign_id")
    title_nl = serializers.CharField()
    title_de = serializers.CharField()
    title_en = serializers.CharField()
    description_nl = serializers.CharField()
    description_de = serializers.CharField()
    description_en = serializers.CharField()
    category = PlainChoiceField(choices=TaskCategory.choices)
    neighbourhood = serializers.IntegerField(source="neighbourhood_id", allow_null=True)
    latitude = stored_degrees()
    longitude = stored_degrees()
    reward = serializers.IntegerField()
    estimated_minutes = serializers.IntegerField()
    capacity = serializers.IntegerField()
    per_resident_limit = serializers.IntegerField()
    slots_taken = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    photo_required = serializers.BooleanField()
    note_required = serializers.BooleanField()
    location_required = serializers.BooleanField()
    materials_where = serializers.CharField()
    materials_where_de = serializers.CharField()
    materials_where_en = serializers.CharField()
    materials_when = serializers.CharField()
    materials_when_de = serializers.CharField()
    materials_when_en = serializers.CharField()
    status = PlainChoiceField(choices=TaskStatus.choices)
    created_at = serializers.DateTimeField()


def _task_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in data.items() if k not in ("campaign", "neighbourhood")}
    if "neighbourhood" in data:
        fields["neighbourhood_id"] = data["neighbourhood"]
    return fields


def _task_body(task: Task) -> dict[str, Any]:
    return TaskStaffSerializer(task).data


class TaskQuerySerializer(serializers.Serializer):
    campaign = serializers.IntegerField(required=False, min_value=1, max_value=2**62)
    status = serializers.ChoiceField(choices=TaskStatus.choices, required=False)


@routes("staff/tasks/", name="api-staff-tasks")
class TaskStaffListView(APIView):
    pagination_class = Page
    permission_classes = (AnyStaff,)

    @extend_schema(
        parameters=[TaskQuerySerializer],
        responses=TaskStaffSerializer(many=True),
        tags=["tasks"],
    )
    def get(self, request: Request) -> Response:
        """Tasks, newest first, optionally of one campaign or in one state."""
        params = query(request, TaskQuerySerializer)
        qs = selectors.tasks_list(
            campaign_id=params.get("campaign"),
            status=params.get("status"),
        )
        return page_response(self, request, qs, body=_task_body)

    @extend_schema(
        request=TaskWriteSerializer, responses={201: TaskStaffSerializer}, tags=["tasks"]
    )
    def post(self, request: Request) -> Response:
        """Create a draft task; every rule (hourly cap, budget, window) is checked."""
        data = validated(request, TaskWriteSerializer)
        task = work.task_create(
            actor=request_user(request), campaign_id=data["campaign"], fields=_task_fields(data)
        )
        return Response(_task_body(task), status=status.HTTP_201_CREATED)


@task("", name="api-staff-task")
class TaskStaffDetailView(APIView):
    permission_classes = (AnyStaff,)

    @extend_schema(responses=TaskStaffSerializer, tags=["tasks"])
    def get(self, request: Request, task_id: int) -> Response:
        """One task, all languages."""
        return Response(_task_body(selectors.task_get(task_id=task_id)))

    @extend_schema(request=TaskWriteSerializer, responses=TaskStaffSerializer, tags=["tasks"])
    def patch(self, request: Request, task_id: int) -> Response:
        """Change a draft or published task (only the fields sent); the rules are checked on the
        result. The campaign cannot change."""
        data = sent(request, TaskWriteSerializer)
        if "campaign" in data:
            raise serializers.ValidationError({"campaign": [_("A task cannot move campaigns.")]})
        task = work.task_update(
            actor=request_user(request), task_id=task_id, changes=_task_fields(data)
        )
        return Response(_task_body(task))


# A step in a task's life; the answer is the task.
@extend_schema(request=None, responses=TaskStaffSerializer, tags=["tasks"])
class TaskAction(ActionView):
    permission_classes = (AnyStaff,)

    def answer(self, task: Task) -> dict[str, Any]:
        return _task_body(task)


@task("publish/", name="api-staff-task-publish")
class TaskPublishView(TaskAction):
    """Publish a draft (the budget is checked again under the campaign's lock)."""

    def act(self, user: User, **arguments: Any) -> Task:
        return work.task_publish(actor=user, **arguments)


@task("close/", name="api-staff-task-close")
class TaskCloseView(TaskAction):
    """Close a task to new claims; claims already made go on."""

    def act(self, user: User, **arguments: Any) -> Task:
        return work.task_close(actor=user, **arguments)


# --- Tasks and claims (residents) --------------------------------------------------------


class NeighbourhoodSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class TaskResidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(help_text="In the request's language, else Dutch.")
    description = serializers.CharField()
    category = PlainChoiceField(choices=TaskCategory.choices)
    neighbourhood = NeighbourhoodSerializer(allow_null=True)
    latitude = stored_degrees()
    longitude = stored_degrees()
    distance_km = serializers.FloatField(allow_null=True)
    reward = serializers.IntegerField(help_text="Minor units.")
    estimated_minutes = serializers.IntegerField()
    places_left = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    photo_required = serializers.BooleanField()
    note_required = serializers.BooleanField()
    location_required = serializers.BooleanField()
    materials_where = serializers.CharField()
    materials_when = serializers.CharField()


def _resident_task_body(task: Task) -> dict[str, Any]:
    title, description = selectors.task_text(task)
    materials_where, materials_when = selectors.task_materials(task)
    neighbourhood = task.neighbourhood
    return TaskResidentSerializer(
        {
            "id": task.pk,
            "title": title,
            "description": description,
            "category": task.category,
            "neighbourhood": (
                {"id": neighbourhood.pk, "name": neighbourhood.name} if neighbourhood else None
            ),
            "latitude": task.latitude,
            "longitude": task.longitude,
            "distance_km": getattr(task, "distance_km", None),
            "reward": task.reward,
            "estimated_minutes": task.estimated_minutes,
            "places_left": task.capacity - task.slots_taken,
            "starts_at": task.starts_at,
            "ends_at": task.ends_at,
            "photo_required": task.photo_required,
            "note_required": task.note_required,
            "location_required": task.location_required,
            "materials_where": materials_where,
            "materials_when": materials_when,
        }
    ).data


class TaskBrowseQuerySerializer(serializers.Serializer):
    neighbourhood = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    category = serializers.ChoiceField(choices=TaskCategory.choices, required=False)
    lat = serializers.FloatField(
        required=False, min_value=-90, max_value=90, help_text="With lon: nearest first."
    )
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180)


@routes("tasks/", name="api-tasks")
class TaskBrowseView(APIView):
    pagination_class = Page
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(
        parameters=[TaskBrowseQuerySerializer],
        responses=TaskResidentSerializer(many=True),
        tags=["tasks"],
    )
    def get(self, request: Request) -> Response:
        """Published tasks open now, filtered; nearest first when a location is given."""
        data = query(request, TaskBrowseQuerySerializer)
        qs = selectors.tasks_for_resident(
            neighbourhood_id=data.get("neighbourhood"),
            category=data.get("category"),
            latitude=data.get("lat"),
            longitude=data.get("lon"),
        )
        return page_response(self, request, qs, body=_resident_task_body)


@routes("tasks/<int:task_id>/", name="api-task")
class TaskResidentDetailView(APIView):
    permission_classes = (IsAuthenticated, IsResident)

    @extend_schema(responses=TaskResidentSerializer, tags=["tasks"])
    def get(self, request: Request, task_id: int) -> Response:
        """One published task open now."""
        return Response(_resident_task_body(selectors.task_for_resident(task_id=task_id)))
