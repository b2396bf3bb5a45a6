"""Request and response validation against the contract, closing Connexion's known gaps.

Passed to Connexion as `validator_map`. Compared with the stock validators:
- `uuid`, `date`, `date-time` and `email` formats are really checked;
- a `readOnly` property is never *required* in a request, and sending one is an error;
- `multipleOf` on decimals is checked without binary floating-point artefacts;
- the body is decoded as strict UTF-8 and parsed as strict JSON (no NaN/Infinity, no
  duplicate keys, bounded nesting and number size), so malformed input is a 400, never a 500;
- every error is a problem whose `errors` lists each offending field.
"""

from __future__ import annotations

import json
import math
import re
import typing as t
import uuid
from datetime import date
from decimal import InvalidOperation
from functools import lru_cache

import email_validator
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import NonConformingResponseBody
from connexion.lifecycle import ConnexionRequest
from connexion.utils import is_null, is_nullable
from connexion.validators import (
    FormDataValidator,
    JSONRequestBodyValidator,
    JSONResponseBodyValidator,
    ParameterValidator,
    TextResponseBodyValidator,
)
from email_validator import EmailNotValidError, validate_email
from jsonschema import Draft4Validator, FormatChecker, ValidationError
from jsonschema.validators import extend
from rfc3339_validator import validate_rfc3339
from starlette.types import Scope

from consumo.currencies import ISO_4217
from consumo.problems import FieldError, ParamValue, ValidationProblem

MAX_JSON_DEPTH = 32
MAX_NUMBER_DIGITS = 30

# Emails are checked for syntax, not deliverability: special-use domains (".test",
# ".local", ...) are valid addresses as far as the contract goes. The list is shared by
# every caller of email-validator, so the API and the Pydantic response models agree.
email_validator.SPECIAL_USE_DOMAIN_NAMES.clear()

FORMAT_CHECKER = FormatChecker()
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@FORMAT_CHECKER.checks("uuid")
def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _UUID_RE.fullmatch(value):  # not `match`: `$` lets a final newline through
        return False
    uuid.UUID(value)
    return True


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_RE.fullmatch(value):
        return False
    date.fromisoformat(value)  # raises on 2025-02-30
    return True


@FORMAT_CHECKER.checks("date-time")
def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(validate_rfc3339(value))


@FORMAT_CHECKER.checks("email")
def _is_email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    # RFC 5321 (4.5.3.1.1): a local part of at most 64 octets, which email-validator lets
    # through; the contract's pattern cannot count it without a lookahead.
    if len(value.rpartition("@")[0].encode()) > 64:
        return False
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@FORMAT_CHECKER.checks("iso-4217")
def _is_currency(value: object) -> bool:
    return not isinstance(value, str) or value in ISO_4217


Errors = t.Iterator[ValidationError]
KeywordCheck = t.Callable[..., Errors]


def _nullable(validation_fn: KeywordCheck) -> KeywordCheck:
    def validate(validator: t.Any, value: t.Any, instance: t.Any, schema: dict[str, t.Any]) -> Errors:
        if instance is None and schema.get("nullable"):
            return
        yield from validation_fn(validator, value, instance, schema)

    return validate


def _multiple_of(_validator: t.Any, multiple: t.Any, instance: t.Any, _schema: t.Any) -> Errors:
    if not isinstance(instance, (int, float)) or isinstance(instance, bool):
        return
    quotient = instance / multiple
    # A multiple up to a few ulps of a double counts (0.1 * 3 is 0.30000000000000004).
    tolerance = max(1e-9, abs(quotient) * 1e-15)
    if not math.isfinite(quotient) or abs(quotient - round(quotient)) > tolerance:
        yield ValidationError(f"{instance!r} has more decimal places than allowed (a multiple of {multiple})")


@lru_cache(maxsize=256)
def _whole_string_pattern(pattern: str) -> re.Pattern[str]:
    """The contract's patterns end in `$`, which in Python also matches before a final
    newline: "alice\n" would pass `^[a-z]+$`. Anchored at the very end instead."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator: t.Any, pattern: str, instance: t.Any, _schema: t.Any) -> Errors:
    if validator.is_type(instance, "string") and not _whole_string_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _required_in_request(validator: t.Any, required: list[str], instance: t.Any, schema: dict[str, t.Any]) -> Errors:
    if not validator.is_type(instance, "object"):
        return
    properties = schema.get("properties", {})
    for name in required:
        if properties.get(name, {}).get("readOnly"):
            continue
        if name not in instance:
            yield ValidationError(f"'{name}' is a required property", path=[name])


def _read_only_in_request(_validator: t.Any, read_only: bool, _instance: t.Any, _schema: t.Any) -> Errors:
    if read_only:
        yield ValidationError("is read-only and cannot be set")


def _write_only_in_response(_validator: t.Any, write_only: bool, _instance: t.Any, _schema: t.Any) -> Errors:
    if write_only:
        yield ValidationError("is write-only and must not be returned")


RequestSchemaValidator = extend(
    Draft4Validator,
    {
        "type": _nullable(Draft4Validator.VALIDATORS["type"]),
        "enum": _nullable(Draft4Validator.VALIDATORS["enum"]),
        "multipleOf": _multiple_of,
        "pattern": _pattern,
        "required": _required_in_request,
        "readOnly": _read_only_in_request,
    },
)

ResponseSchemaValidator = extend(
    Draft4Validator,
    {
        "type": _nullable(Draft4Validator.VALIDATORS["type"]),
        "enum": _nullable(Draft4Validator.VALIDATORS["enum"]),
        "multipleOf": _multiple_of,
        "pattern": _pattern,
        "writeOnly": _write_only_in_response,
    },
)


_compiled: dict[tuple[type, int], tuple[dict[str, t.Any], t.Any]] = {}


def compiled(validator_class: t.Any, schema: dict[str, t.Any]) -> t.Any:
    """The validator of `schema`, built once: the spec's schemas live as long as the app, and
    building a validator cost more than running it on every request. Keyed by the schema
    object, which the entry keeps alive, so the key can never be reused by another schema."""
    key = (validator_class, id(schema))
    entry = _compiled.get(key)
    if entry is None:
        entry = _compiled[key] = (schema, validator_class(schema, format_checker=FORMAT_CHECKER))
    return entry[1]


def _field_of(error: ValidationError) -> str:
    path: list[str] = []
    for part in error.absolute_path:
        # An array's item by index: `items[12].period_end`.
        if isinstance(part, int) and path:
            path[-1] += f"[{part}]"
        else:
            path.append(str(part))
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - allowed)
        if extra:
            path.append(extra[0])
    return ".".join(path) or "body"


# The code of a field error, by the JSON Schema keyword the value broke (`field.invalid` for any
# other); the keyword's value (a length, a bound, a format's name) is its `limit` parameter.
SCHEMA_CODES = {
    "required": "field.required",
    "type": "field.wrong_type",
    "additionalProperties": "field.unknown",
    "maxLength": "field.too_long",
    "minLength": "field.too_short",
    "pattern": "field.pattern",
    "format": "field.format",
    "enum": "field.not_allowed",
    "minimum": "field.too_small",
    "maximum": "field.too_large",
    "multipleOf": "field.too_precise",
    "maxItems": "field.too_many_items",
    "minItems": "field.too_few_items",
    "": "field.invalid",
}
_LIMIT_KEYWORDS = {"maxLength", "minLength", "minimum", "maximum", "multipleOf", "maxItems", "minItems"}


def _coded_error(error: ValidationError, field: str, message: str) -> FieldError:
    keyword = str(error.validator)
    coded: FieldError = {
        "field": field[:200],
        "message": message[:500],
        "code": SCHEMA_CODES.get(keyword, SCHEMA_CODES[""]),
    }
    if keyword == "format" and isinstance(error.validator_value, str):
        coded["params"] = {"format": error.validator_value}
    elif keyword in _LIMIT_KEYWORDS and isinstance(error.validator_value, int | float):
        limit: ParamValue = error.validator_value
        coded["params"] = {"limit": limit}
    return coded


def _discriminated(error: ValidationError) -> list[ValidationError]:
    """A `oneOf` with a `discriminator` (a meter is a utility meter or a mobile line, by its
    `kind`) fails as a whole in JSON Schema; the client needs the fields that are wrong in
    the variant it named, or else that the discriminator itself is wrong."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    discriminator = schema.get("discriminator")
    if error.validator != "oneOf" or not discriminator or not isinstance(error.instance, dict):
        return [error]
    name = discriminator["propertyName"]
    value = error.instance.get(name)
    allowed: list[t.Any] = []
    for index, branch in enumerate(schema["oneOf"]):
        names = branch.get("properties", {}).get(name, {}).get("enum", [])
        allowed += names
        if value in names:
            return [e for e in error.context or [] if e.relative_schema_path[0] == index] or [error]
    message = "is required" if value is None else f"{value!r} is not one of {allowed!r}"
    return [ValidationError(message, path=[*error.absolute_path, name], validator="enum")]


def _field_errors(validator: t.Any, instance: t.Any) -> list[FieldError]:
    """One entry per offending field: when a value breaks several keywords (an email that
    matches neither the pattern nor the format), the most readable reason is given, so a
    client can map each entry onto one form field."""
    errors = sorted(
        (e for error in validator.iter_errors(instance) for e in _discriminated(error)),
        key=lambda e: list(map(str, e.absolute_path)),
    )
    by_field: dict[str, ValidationError] = {}
    for error in errors:
        field = _field_of(error)[:200]
        kept = by_field.get(field)
        if kept is None or (kept.validator == "pattern" and error.validator != "pattern"):
            by_field[field] = error
    result: list[FieldError] = []
    for field, error in by_field.items():
        message = error.message
        if error.validator == "additionalProperties":
            message = "is not a field of this object (it may be read-only or unknown)"
        elif error.validator in ("pattern", "format") and error.schema.get("format") == "email":
            message = (
                "is not an email address this API accepts: ASCII only, with an internationalised "
                "domain in its xn-- form (see the Email schema)"
            )
        result.append(_coded_error(error, field, message))
    return result


# --- strict JSON ------------------------------------------------------------------------


class _DuplicateKey(ValueError):
    pass


def _reject_duplicate_keys(pairs: list[tuple[str, t.Any]]) -> dict[str, t.Any]:
    result: dict[str, t.Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> t.NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise ValueError("number too large")
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > 2 * MAX_NUMBER_DIGITS:
        raise ValueError("number too long")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def _unstorable_text(value: str) -> str | None:
    """Why PostgreSQL could not store this text (NUL bytes, lone surrogates), or None."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an invalid Unicode character (a lone surrogate)"
    return None


def _unstorable_strings(value: t.Any, path: str = "") -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    stack: list[tuple[t.Any, str]] = [(value, path)]
    while stack and len(errors) < 100:
        node, where = stack.pop()
        if isinstance(node, str):
            reason = _unstorable_text(node)
            if reason:
                errors.append({"field": where or "body", "message": reason})
        elif isinstance(node, dict):
            for key, child in node.items():
                child_path = f"{where}.{key}" if where else str(key)
                if _unstorable_text(key):
                    errors.append({"field": "body", "message": "a key contains an invalid character"})
                stack.append((child, child_path))
        elif isinstance(node, list):
            stack.extend((child, f"{where}.{index}" if where else str(index)) for index, child in enumerate(node))
    return errors


def parse_json_strictly(raw: bytes) -> t.Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationProblem(
            "The body is not valid UTF-8.",
            code="body.not_utf8",
            errors=[{"field": "body", "message": "is not valid UTF-8"}],
        ) from None
    if not text.strip():
        return None
    # Cheap guard before parsing: the decoder recurses once per nesting level.
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _bracket_depth(text) > MAX_JSON_DEPTH:
        raise ValidationProblem(
            "The body is nested too deeply.",
            code="body.too_deep",
            params={"max_depth": MAX_JSON_DEPTH},
            errors=[{"field": "body", "message": f"nesting deeper than {MAX_JSON_DEPTH}"}],
        )
    try:
        parsed = json.loads(
            text,
            object_pairs_hook=_reject_duplicate_keys,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except (ValueError, RecursionError) as exc:
        known = isinstance(exc, _DuplicateKey) or "JSON" in str(exc) or "number" in str(exc)
        reason = str(exc) if known else "is not valid JSON"
        raise ValidationProblem(
            "The body is not valid JSON.", code="body.not_json", errors=[{"field": "body", "message": reason[:500]}]
        ) from None
    unstorable = _unstorable_strings(parsed)
    if unstorable:
        raise ValidationProblem(
            "The body contains text that cannot be stored.", code="text.unstorable", errors=unstorable
        )
    return parsed


def _bracket_depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


# --- validators ---------------------------------------------------------------------------


class StrictJSONBodyValidator(JSONRequestBodyValidator):
    @property
    def _validator(self) -> t.Any:
        return compiled(RequestSchemaValidator, self._schema)

    async def _parse(self, stream: t.AsyncGenerator[bytes, None], scope: Scope) -> t.Any:
        return parse_json_strictly(b"".join([chunk async for chunk in stream]))

    def _validate(self, body: t.Any) -> dict[str, t.Any] | None:
        if body is None:
            if self._nullable:
                return None
            raise ValidationProblem(
                "The request body is required.",
                code="body.required",
                errors=[{"field": "body", "message": "is required"}],
            )
        errors = _field_errors(self._validator, body)
        if errors:
            raise ValidationProblem(
                "The request does not match the API contract.", code="request.invalid", errors=errors
            )
        return None


class StrictParameterValidator(ParameterValidator):
    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        # Connexion merges a path's parameters into each of its operations' lists once per
        # method, so the same parameter can arrive several times: each is checked (and
        # reported) once.
        for location, params in self.parameters.items():
            unique: dict[str, dict[str, t.Any]] = {}
            for param in params:
                unique.setdefault(param["name"], param)
            self.parameters[location] = list(unique.values())

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: t.Any, param: dict[str, t.Any], param_name: str | None = None
    ) -> str | None:
        if is_nullable(param) and is_null(value):
            return None
        if value is not None:
            if isinstance(value, str) and (reason := _unstorable_text(value)):
                return reason
            schema = param.get("schema", param)
            error = next(iter(compiled(RequestSchemaValidator, schema).iter_errors(value)), None)
            return error.message if error else None
        if param.get("required"):
            return "is required"
        return None

    def validate_request(self, request: ConnexionRequest) -> None:
        if self.strict_validation:
            extra = self.validate_query_parameter_list(request, security_params=self.security_query_params)
            if extra:
                raise ValidationProblem(
                    "Unknown query parameters.",
                    code="parameter.unknown",
                    errors=[
                        # `?=1` has a parameter without a name: the query string is what is wrong.
                        {"field": name[:200], "message": "is not a parameter of this operation"}
                        if name
                        else {"field": "query", "message": "has a parameter without a name"}
                        for name in sorted(extra)
                    ],
                )
        errors: list[dict[str, str]] = []
        checks: list[tuple[str, t.Callable[[dict[str, t.Any], ConnexionRequest], str | None]]] = [
            ("query", self.validate_query_parameter),
            ("path", self.validate_path_parameter),
            ("header", self.validate_header_parameter),
            ("cookie", self.validate_cookie_parameter),
        ]
        for location, check in checks:
            for param in self.parameters.get(location, []):
                try:
                    message = check(param, request)
                except (ValueError, TypeError, InvalidOperation):
                    message = "has the wrong type"
                if message:
                    errors.append({"field": param["name"], "message": message[:500]})
        if errors:
            raise ValidationProblem(
                "The request parameters do not match the API contract.", code="parameter.invalid", errors=errors
            )


class StrictJSONResponseValidator(JSONResponseBodyValidator):
    @property
    def validator(self) -> t.Any:
        return compiled(ResponseSchemaValidator, self._schema)

    def _validate(self, body: dict[str, t.Any]) -> None:
        error = next(iter(self.validator.iter_errors(body)), None)
        if error is not None:
            raise NonConformingResponseBody(
                detail=f"Response body does not conform to the contract: {error.message} at {_field_of(error)}"
            )


class StreamedUpload:
    """The one multipart operation (`POST /imports`: a CSV file of up to 50 MiB and its column
    mapping) is passed on unread: Connexion's validator would hold the whole body in memory.
    Its handler reads the form as a stream (the file spooled to disk) and checks its parts
    with their own 422s (`import.file_missing`, `import.mapping_invalid`)."""

    def __init__(self, *_args: t.Any, **_kwargs: t.Any) -> None:
        pass

    async def wrap_receive(self, receive: t.Any, *, scope: t.Any) -> tuple[t.Any, t.Any]:
        return receive, scope


class StreamedResponse:
    """A streamed export (NDJSON lines) is passed on as it is produced: buffering it to
    validate would break its constant memory. Its lines are the list's objects, which the
    list's own validation covers."""

    def __init__(self, scope: t.Any, **_kwargs: t.Any) -> None:
        self.scope = scope

    def wrap_send(self, send: t.Any) -> t.Any:
        return send


VALIDATOR_MAP: dict[str, t.Any] = {
    "parameter": StrictParameterValidator,
    "body": MediaTypeDict(
        {
            "*/*json": StrictJSONBodyValidator,
            "application/x-www-form-urlencoded": FormDataValidator,
            "multipart/form-data": StreamedUpload,
        }
    ),
    "response": MediaTypeDict(
        {
            "*/*json": StrictJSONResponseValidator,
            "application/x-ndjson": StreamedResponse,
            "text/plain": TextResponseBodyValidator,
        }
    ),
}
