"""The schema tells the truth: lists are documented as the pages they are, every operation
documents its problem responses, and a page's `limit` and `offset` are checked before they reach
the database."""

import pytest
from rest_framework.test import APIClient

from core.problems import CONTENT_TYPE
from tests.helpers import make_user, staff_login

HUGE = "9223372036854775808"  # one past PostgreSQL's bigint


@pytest.fixture
def admin_api(db):
    api = APIClient()
    staff_login(api, make_user("staff@example.org", "admin", "finance", "approver", "reviewer"))
    return api


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


OFFSET_LISTS = [
    "/api/v1/staff/voucher-batches/",
    "/api/v1/staff/sepa-exports/",
]
# The lists that grow without end page by cursor (core.api.KeysetPage).
KEYSET_LISTS = [
    "/api/v1/staff/audit-log/",
    "/api/v1/staff/residents/",
    "/api/v1/staff/shops/",
    "/api/v1/staff/settlements/",
]
LIMITS = [f"limit={HUGE}", "limit=0"]


@pytest.mark.parametrize(
    ("path", "query"),
    [(path, query) for path in OFFSET_LISTS for query in [*LIMITS, f"offset={HUGE}", "offset=-1"]]
    + [(path, query) for path in KEYSET_LISTS for query in LIMITS],
)
def test_a_page_out_of_range_is_a_400_naming_the_field(admin_api, path, query):
    response = admin_api.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == CONTENT_TYPE
    assert response.json()["type"] == "/problems/validation-error"
    assert set(response.json()["errors"]) == {query.split("=")[0]}


def _page_documented(schema, path):
    """The documented 200 body's properties and the `limit` parameter's bounds of a list."""
    documented = schema["paths"][path]["get"]
    ok = documented["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page_schema = schema["components"]["schemas"][ok.rsplit("/", 1)[1]]
    limit = next(p for p in documented["parameters"] if p["name"] == "limit")
    return set(page_schema["properties"]), (limit["schema"]["minimum"], limit["schema"]["maximum"])


@pytest.mark.parametrize(
    ("path", "query", "keys"),
    [
        (
            "/api/v1/staff/voucher-batches/",
            "limit=200&offset=0",
            {"count", "next", "previous", "results"},
        ),
        *[(path, "limit=200", {"next", "previous", "results"}) for path in KEYSET_LISTS],
    ],
)
def test_a_page_in_range_reads_as_documented(admin_api, schema, path, query, keys):
    for n in range(3):
        make_user(f"r{n}@example.org", "resident")
    page = admin_api.get(f"{path}?{query}")
    assert page.status_code == 200
    assert set(page.json()) == keys
    assert _page_documented(schema, path) == (keys, (1, 200))


def test_every_operation_documents_its_problems(schema):
    problem = {"$ref": "#/components/schemas/Problem"}
    assert (
        "/problems/insufficient-funds" in schema["components"]["schemas"]["Problem"]["description"]
    )
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert responses["503"]["content"][CONTENT_TYPE]["schema"] == problem, (path, method)
            if method in {"post", "put", "patch", "delete"}:
                assert {"400", "409", "422"} <= set(responses), (path, method)
    staff_list = schema["paths"]["/api/v1/staff/audit-log/"]["get"]["responses"]
    assert {"400", "401", "403", "429", "503"} <= set(staff_list)


@pytest.mark.parametrize("path", KEYSET_LISTS)
def test_a_list_paged_by_cursor_documents_the_404_of_a_foreign_cursor(schema, admin_api, path):
    documented = schema["paths"][path]["get"]
    assert {p["name"] for p in documented["parameters"]} >= {"limit", "cursor"}
    assert "offset" not in {p["name"] for p in documented["parameters"]}
    assert {"400", "404"} <= set(documented["responses"])
    refused = admin_api.get(f"{path}?cursor=not-a-cursor")
    assert refused.status_code == 404
    assert refused["Content-Type"] == CONTENT_TYPE
