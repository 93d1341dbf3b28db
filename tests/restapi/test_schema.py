"""The OpenAPI document: drf-spectacular finds nothing to warn about, and the live server answers what it
says, checked by schemathesis from the document itself, as three principals (bounded examples)."""

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                         status_code_conformance)

from tests.restapi.conftest import EVE, KEY_ADMIN, sign_in

EXAMPLES_PER_OPERATION = 4
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_spectacular_validates_the_schema_without_a_warning(tmp_path):
    # Raises SchemaGenerationError on any warning, and validates the document against the OpenAPI 3 schema.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "/api/v1/keys/{key}/encrypt" in (tmp_path / "schema.yaml").read_text()


def test_schema_docs_pages_are_served(live_server, demo):
    import requests

    schema = requests.get(f"{live_server.url}/api/schema/", headers={"Accept": "application/json"})
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    for page in ("docs/", "redoc/"):
        html = requests.get(f"{live_server.url}/api/{page}")
        assert html.status_code == 200 and "<script" in html.text
        assert "cdn" not in html.text.lower() and "googleapis" not in html.text


def _openapi_document():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize("who", ["KeyAdmin (SigV4)", "IamAdmin (console session)", "Eve (SigV4)"])
def test_every_operation_answers_as_documented(who, rest, live_server):
    session = {"KeyAdmin (SigV4)": lambda: rest(KEY_ADMIN), "Eve (SigV4)": lambda: rest(EVE),
               "IamAdmin (console session)": lambda: sign_in(live_server.url, "IamAdmin")}[who]()
    schema = schemathesis.openapi.from_dict(_openapi_document())
    failures, calls, operations = [], [], 0
    for result in schema.get_all_operations():
        operations += 1
        operation = result.ok()

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            # The document's security schemes make schemathesis invent credentials; the session brings real ones.
            case.cookies = {k: v for k, v in (case.cookies or {}).items() if k != "sessionid"}
            case.headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
            response = case.call_and_validate(base_url=live_server.url, session=session, checks=CHECKS)
            calls.append(response.status_code)

        try:
            check()
        except Exception as failure:  # noqa: BLE001  (collect every operation's failure, then report them all)
            failures.append(f"{operation.label}: {str(failure)[:1500]}")
    assert not failures, "\n\n".join(failures)
    assert operations >= 30 and len(calls) >= 2 * operations  # every operation was really called
    assert any(200 <= status < 300 for status in calls)
