"""Schemathesis settings derived from the contract, shared by the in-process fuzzing test
and `make fuzz`: backend/schemathesis.toml (seed, checks) plus, for every operation, the
statuses its checks accept, which are exactly those the operation documents.

- positive data (schema-valid requests) may get any documented status except the ones that
  reject the request's shape (400, 413, 415): a 422 for a documented rule, a 428 for a
  missing `If-Match`, a 409 for a taken name are all answers the contract promises;
- negative data and a missing required header must get a documented 4xx.

An operation added to the contract is covered without touching this file."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import yaml

from consumo.config import BACKEND_DIR, SPEC_PATH

METHODS = ("get", "put", "post", "patch", "delete")
SHAPE_REJECTIONS = {"400", "413", "415"}


def documented_statuses(spec: dict[str, Any]) -> dict[str, list[str]]:
    """operationId → the statuses its `responses` document."""
    return {
        operation["operationId"]: sorted(operation["responses"])
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method in METHODS
    }


def settings(spec_path: Path = SPEC_PATH) -> dict[str, Any]:
    data = tomllib.loads((BACKEND_DIR / "schemathesis.toml").read_text())
    spec = yaml.safe_load(spec_path.read_text())
    operations = data.setdefault("operations", [])
    for operation_id, statuses in documented_statuses(spec).items():
        client_errors = [s for s in statuses if s.startswith("4")]
        operations.append(
            {
                "include-operation-id": operation_id,
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": [s for s in statuses if s not in SHAPE_REJECTIONS]
                    },
                    "negative_data_rejection": {"expected-statuses": client_errors},
                    "missing_required_header": {"expected-statuses": client_errors},
                },
            }
        )
    return data


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {value!r}")


def as_toml(data: dict[str, Any]) -> str:
    """`settings()` as a schemathesis.toml for `st run --config-file` (`make fuzz`)."""
    lines = [f"{json.dumps(key)} = {_toml_value(value)}" for key, value in data.items() if key != "operations"]
    for operation in data.get("operations", []):
        lines += ["", "[[operations]]"]
        lines += [f"{json.dumps(key)} = {_toml_value(value)}" for key, value in operation.items()]
    return "\n".join(lines) + "\n"
