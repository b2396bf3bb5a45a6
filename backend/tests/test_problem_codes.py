"""Every `code` a problem can carry is listed in the contract, and the contract lists no other.

The codes are read from the source, not from a list kept by hand: a string given as `code=`, as a
`"code":` entry of a field error, as the default `code` of a problem class, or as a value of a
`*_CODES` table (codes chosen by a JSON Schema keyword or an HTTP status). The web app's test
(`frontend/src/lib/problem-messages.test.ts`) then checks that each listed code has an English and
a Spanish message, so a new error cannot reach a user only in English.
"""

from __future__ import annotations

import ast
import re

import pytest
import yaml

from conftest import API, VALID_LINE, VALID_METER, VALID_RECORD, assert_problem, create_meter

from consumo.config import BACKEND_DIR, SPEC_PATH

PACKAGE = BACKEND_DIR / "consumo"
GENERATED = {"api_models.py"}
CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
PROBLEM_CLASSES = {
    "Problem",
    "ValidationProblem",
    "Unauthorized",
    "Forbidden",
    "NotFound",
    "Conflict",
    "PreconditionFailed",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "UnprocessableContent",
    "PreconditionRequired",
    "TooManyRequests",
    "ServiceUnavailable",
}


def _strings(node: ast.AST) -> set[str]:
    """The string constants of an expression that can be its value: not the keys it looks up
    (`taken["code"]`, `taken.get("code", "value.taken")` gives only `value.taken`)."""
    lookups = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Subscript):
            lookups.add(id(n.slice))
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "get" and n.args:
            lookups.add(id(n.args[0]))
        elif isinstance(n, ast.Dict):
            lookups |= {id(key) for key in n.keys if key is not None}
    return {
        n.value
        for n in ast.walk(node)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in lookups
    }


def _codes_in(tree: ast.AST) -> tuple[set[str], list[int]]:
    """(the codes written in a module, the lines of problems raised without a code)."""
    codes: set[str] = set()
    uncoded: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "code":
                    codes |= _strings(keyword.value)
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in PROBLEM_CLASSES and not any(k.arg == "code" for k in node.keywords):
                uncoded.append(node.lineno)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "code":
                    codes |= _strings(value)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and node.value is not None:
                    if target.id == "code" or target.id.endswith("_CODES"):
                        codes |= _strings(node.value)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            defaults = list(zip(arguments.args[::-1], arguments.defaults[::-1], strict=False))
            defaults += list(zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True))
            codes |= {
                value
                for arg, default in defaults
                if arg.arg == "code" and default is not None
                for value in _strings(default)
            }
    return codes, uncoded


def codes_in_source() -> set[str]:
    codes: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name not in GENERATED:
            codes |= _codes_in(ast.parse(path.read_text()))[0]
    return codes


def codes_in_contract() -> dict[str, str]:
    spec = yaml.safe_load(SPEC_PATH.read_text())
    return spec["components"]["schemas"]["Problem"]["properties"]["code"]["x-codes"]


def test_the_collector_sees_every_way_a_code_is_written():
    tree = ast.parse(
        "raise NotFound('x', code='a.one')\n"
        "errors = [{'field': 'f', 'message': 'm', 'code': 'a.two'}]\n"
        "class P(Problem):\n    code = 'a.three'\n"
        "SOME_CODES = {1: 'a.four'}\n"
        "def f(*, code='a.five'): ...\n"
        "raise Conflict('y')\n"
    )
    codes, uncoded = _codes_in(tree)
    assert codes == {"a.one", "a.two", "a.three", "a.four", "a.five"}
    assert uncoded == [7]


def test_every_code_is_well_formed():
    assert {code for code in codes_in_source() if not CODE.match(code)} == set()


def test_the_contract_lists_exactly_the_codes_the_backend_can_give():
    in_source, in_contract = codes_in_source(), set(codes_in_contract())
    assert in_source - in_contract == set(), "codes missing from Problem.code's x-codes in the contract"
    assert in_contract - in_source == set(), "codes listed in the contract that nothing gives"


def test_every_problem_is_raised_with_its_code():
    uncoded = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name not in GENERATED and path.name != "problems.py":
            uncoded += [f"{path.relative_to(PACKAGE)}:{line}" for line in _codes_in(ast.parse(path.read_text()))[1]]
    assert uncoded == []


@pytest.mark.parametrize("code", sorted(codes_in_contract()))
def test_each_listed_code_says_what_it_means(code):
    assert codes_in_contract()[code].strip()


# --- what a client receives ----------------------------------------------------------------


def test_a_rule_broken_carries_its_code_and_the_params_its_message_needs(alice):
    response = alice.post(f"{API}/consumptions", json={**VALID_RECORD, "period_end": "2027-01-31"})

    body = assert_problem(response, 422, "period_end")
    assert (body["code"], body["params"]) == ("period.too_long", {"max_days": 366})
    assert body["errors"] == [
        {
            "field": "period_end",
            "message": "A period spans at most 366 days.",
            "code": "period.too_long",
            "params": {"max_days": 366},
        }
    ]


def test_each_field_that_breaks_the_schema_carries_the_keyword_as_its_code(alice):
    response = alice.post(f"{API}/consumptions", json={**VALID_RECORD, "notes": "x" * 1001, "kind": "steam"})

    body = assert_problem(response, 400)
    assert body["code"] == "request.invalid"
    by_field = {error["field"]: error for error in body["errors"]}
    assert by_field["notes"]["code"] == "field.too_long"
    assert by_field["notes"]["params"] == {"limit": 1000}
    assert by_field["kind"]["code"] == "field.not_allowed"


def test_a_taken_unique_value_names_its_code(alice):
    create_meter(alice)

    body = assert_problem(alice.post(f"{API}/meters", json=VALID_METER), 409, "identifier")
    assert body["code"] == "identifier.taken"


def test_an_insufficient_balance_gives_the_amounts_and_the_currency(alice):
    line = create_meter(alice, **{**VALID_LINE, "plan": {**VALID_LINE["plan"], "data_mb": 0}})

    response = alice.post(f"{API}/meters/{line['id']}/simulate", json={"data_mb": 6})

    body = assert_problem(response, 422, "balance_minor")
    assert body["code"] == "balance.insufficient"
    assert body["params"] == {"balance_minor": 0, "currency": line["currency"], "needed_minor": 12}


def test_problems_made_by_the_frameworks_carry_a_code_too(alice):
    assert assert_problem(alice.client.get(f"{API}/no-such-thing"), 404)["code"] == "not_found"
    assert assert_problem(alice.client.get(f"{API}/consumptions"), 401)["code"] == "auth.required"
    assert assert_problem(alice.delete(f"{API}/consumptions"), 405)["code"] == "method_not_allowed"
