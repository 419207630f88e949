"""Tasks in the staff console (/staff/rewards/): create, view, change, publish and close a task."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.permissions import staff_page
from core.http import form_page, run_action
from core.routes import Routes

from .. import work
from ..forms import TaskForm
from ..models import Campaign, Task, TaskStatus
from .common import (
    MANAGE_ROLES,
    READ_ROLES,
    campaign_or_404,
    request_user,
    staff_render,
    task_or_404,
)

routes = Routes()

# --- tasks ------------------------------------------------------------------------------------


def _task_form(request: HttpRequest, campaign: Campaign, task: Task | None) -> HttpResponse:
    """The task form: a new draft task in `campaign` (`task` None), or the changes to `task`;
    saved, it goes to the task's page."""
    data = request.POST or None
    form = TaskForm(data) if task is None else TaskForm.for_task(task, data)

    def save(_data: dict[str, Any]) -> Task:
        actor = request_user(request)
        if task is None:
            return work.task_create(
                actor=actor, campaign_id=campaign.pk, fields=form.service_fields()
            )
        return work.task_update(actor=actor, task_id=task.pk, changes=form.service_fields())

    return form_page(
        request,
        form,
        save,
        _("The task is saved as a draft.") if task is None else _("The task is saved."),
        lambda saved: redirect("rewards-staff-task", task_id=saved.pk),
        template="rewards/staff/task_form.html",
        context={"campaign": campaign, "task": task},
        page=staff_render,
    )


@routes("campaigns/<int:campaign_id>/tasks/new/", name="rewards-staff-task-create")
@staff_page(*MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def task_create(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _task_form(request, campaign_or_404(campaign_id), None)


@routes("tasks/<int:task_id>/", name="rewards-staff-task")
@staff_page(*READ_ROLES)
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    task = task_or_404(task_id)
    return staff_render(
        request,
        "rewards/staff/task.html",
        {
            "task": task,
            "campaign": task.campaign,
            "hourly_cap": work.task_hourly_cap(task.estimated_minutes),
            "claims": task.claims.select_related("resident").order_by("-reserved_at", "-id")[:100],
        },
    )


@routes("tasks/<int:task_id>/edit/", name="rewards-staff-task-edit")
@staff_page(*MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, task_id: int) -> HttpResponse:
    task = task_or_404(task_id)
    if task.status == TaskStatus.CLOSED:
        messages.error(request, _("A closed task cannot change."))
        return redirect("rewards-staff-task", task_id=task.pk)
    return _task_form(request, task.campaign, task)


@routes("tasks/<int:task_id>/publish/", name="rewards-staff-task-publish")
@staff_page(*MANAGE_ROLES)
@require_http_methods(["GET", "POST"])
def task_publish(request: HttpRequest, task_id: int) -> HttpResponse:
    """GET: the task as a resident sees it, in each language, with a warning for the languages
    it lacks, to confirm; POST: publish it."""
    if request.method == "GET":
        task = task_or_404(task_id)
        if task.status != TaskStatus.DRAFT:
            return redirect("rewards-staff-task", task_id=task.pk)
        languages = {"nl": "Nederlands", "de": "Deutsch", "en": "English"}
        previews = []
        missing = []
        for code, name in languages.items():
            title = getattr(task, f"title_{code}")
            description = getattr(task, f"description_{code}")
            if title and description:
                previews.append({"code": code, "name": name, "title": title, "text": description})
            else:
                missing.append(name)
        return staff_render(
            request,
            "rewards/staff/task_publish.html",
            {
                "task": task,
                "previews": previews,
                "missing": missing,
                "most": task.reward * task.capacity,
            },
        )
    return run_action(
        request,
        lambda: work.task_publish(actor=request_user(request), task_id=task_id),
        done=_("The task is published: residents can claim it."),
        then="rewards-staff-task",
        forbidden_403=False,
        task_id=task_id,
    )


@routes("tasks/<int:task_id>/close/", name="rewards-staff-task-close")
@staff_page(*MANAGE_ROLES)
@require_POST
def task_close(request: HttpRequest, task_id: int) -> HttpResponse:
    return run_action(
        request,
        lambda: work.task_close(actor=request_user(request), task_id=task_id),
        done=_("The task is closed: no new claims."),
        then="rewards-staff-task",
        forbidden_403=False,
        task_id=task_id,
    )
