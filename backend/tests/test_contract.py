"""The contract itself: valid OpenAPI 3.0.3, our house rules, and code generated from it in sync."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from consumo.config import BACKEND_DIR, SPEC_PATH

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return dict(yaml.safe_load(SPEC_PATH.read_text()))


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _schemas(spec: dict[str, Any], node: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object under `node` (not following $refs: each is visited where defined)."""
    if isinstance(node, dict):
        if "type" in node or "properties" in node:
            yield where, node
        for key, value in node.items():
            yield from _schemas(spec, value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schemas(spec, value, f"{where}/{index}")


def test_the_spec_is_valid_openapi_3_0_3(spec):
    assert spec["openapi"] == "3.0.3"
    validate(spec)


def test_every_operation_has_a_snake_case_id_a_controller_one_tag_and_a_summary(spec):
    seen: set[str] = set()
    for path, method, operation in _operations(spec):
        where = f"{method.upper()} {path}"
        assert SNAKE.match(operation.get("operationId", "")), where
        assert operation["operationId"] not in seen, where
        seen.add(operation["operationId"])
        assert operation.get("x-openapi-router-controller", "").startswith("consumo."), where
        assert len(operation.get("tags", [])) == 1, where
        assert operation.get("summary"), where


def test_every_error_response_is_a_problem_and_every_secured_operation_documents_401(spec):
    for path, method, operation in _operations(spec):
        where = f"{method.upper()} {path}"
        responses = operation["responses"]
        for code, response in responses.items():
            if code.startswith(("4", "5")):
                content = _resolve(spec, response).get("content", {})
                assert list(content) == ["application/problem+json"], f"{where} {code}"
        secured = operation.get("security", spec.get("security")) != []
        if secured:
            assert "401" in responses, where
        has_input = operation.get("parameters") or operation.get("requestBody") or spec["paths"][path].get("parameters")
        if has_input:
            assert "400" in responses, where


def test_every_object_is_closed_every_string_and_array_is_bounded(spec):
    for where, schema in _schemas(spec, spec, "#"):
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            assert schema.get("additionalProperties") is False, where
        if kind == "string" and "enum" not in schema:
            assert "maxLength" in schema, where
        if kind == "array":
            assert "maxItems" in schema, where
        if kind in ("integer", "number") and "/headers/" not in where:
            assert "minimum" in schema, where


def test_every_list_operation_bounds_its_page_size(spec):
    limit = spec["components"]["parameters"]["Limit"]["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 100)
    for path, method, operation in _operations(spec):
        if method == "get" and operation["operationId"].startswith("list_"):
            refs = [p.get("$ref") for p in operation.get("parameters", [])]
            assert "#/components/parameters/Limit" in refs, path


def test_every_create_operation_links_to_every_operation_on_what_it_creates(spec):
    """So clients (and the stateful fuzzer) can follow a created object to each thing they
    can do with it: `POST /x` links to every operation on `/x/{id}`."""
    paths = spec["paths"]
    for path, method, operation in _operations(spec):
        if method == "post" and operation["operationId"].startswith("create_"):
            links = operation["responses"]["201"].get("links", {})
            linked = {link["operationId"] for link in links.values()}
            item_paths = [p for p in paths if p.startswith(path + "/{") and p.count("/") == path.count("/") + 1]
            on_item = {op["operationId"] for p in item_paths for m, op in paths[p].items() if m in METHODS}
            assert on_item <= linked, (path, on_item - linked)


def test_the_generated_pydantic_models_match_the_spec(tmp_path: Path):
    """`make generate` was run after the last change to the contract."""
    output = tmp_path / "api_models.py"
    subprocess.run(
        [sys.executable, "-m", "consumo.codegen", str(output)],
        cwd=BACKEND_DIR,
        check=True,
        capture_output=True,
    )
    committed = (BACKEND_DIR / "consumo" / "api_models.py").read_text()
    assert output.read_text() == committed, "run `make generate` and commit the result"
