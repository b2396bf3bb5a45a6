"""The HTTP edge shared by handlers: the request's database session and JSON responses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import flask
import orjson
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from consumo.audit import hook as audit_hook
from consumo.db import session_factory
from consumo.logging import log_context
from consumo.problems import PreconditionRequired, UnprocessableContent

JSON = "application/json"
Model = TypeVar("Model", bound=BaseModel)


def db_session() -> Session:
    """The one session of this request. It is committed once, after a successful handler
    (see `app.py`), and rolled back otherwise."""
    session: Session | None = flask.g.get("db_session")
    if session is None:
        session = session_factory()()
        request = flask.request
        audit_hook.set_request_context(
            session,
            audit_hook.RequestContext(
                request_id=log_context().get("request_id"),
                client_ip=request.remote_addr,
                user_agent=request.headers.get("User-Agent"),
            ),
        )
        flask.g.db_session = session
    return session


def typed_body(model: type[Model], body: Mapping[str, Any]) -> Model:
    """The body Connexion validated against the contract, as the contract's generated model:
    services receive typed values (dates, UUIDs, exact decimals), never wire strings. A body the
    model still refuses is a 400 (`app.py`), never a 500."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        # The contract's validation let through what its model refuses (a `null` where a
        # nullable schema is combined with allOf, say): the request is well-formed by the
        # contract's validator but cannot be taken, a 422 on its field.
        # A tagged union's error path starts with the tag (the body's `kind`), not a field.
        tags = {value for value in body.values() if isinstance(value, str)}
        errors = []
        for error in exc.errors():
            loc = [str(part) for part in error["loc"]]
            if len(loc) > 1 and loc[0] in tags:
                loc = loc[1:]
            errors.append({"field": ".".join(loc) or "body", "message": error["msg"][:500], "code": "field.invalid"})
        raise UnprocessableContent(
            "The request does not match the API contract.", code="request.invalid", errors=errors
        ) from None


def json_bytes(body: BaseModel | Mapping[str, Any]) -> bytes:
    """A response body as JSON: a generated model, or a mapping built to its shape (RowView).
    UTC timestamps end in `Z` either way."""
    if isinstance(body, BaseModel):
        return body.model_dump_json(by_alias=True).encode()
    return orjson.dumps(body, option=orjson.OPT_UTC_Z)


def respond(
    body: BaseModel | Mapping[str, Any] | None, status: int = 200, headers: Mapping[str, str] | None = None
) -> flask.Response:
    payload = b"" if body is None else json_bytes(body)
    response = flask.Response(payload, status=status, mimetype=JSON if body is not None else None)
    if body is None:
        # Flask would label even an empty body text/html, which a 204 must not claim.
        del response.headers["Content-Type"]
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def request_header(name: str) -> str | None:
    return flask.request.headers.get(name)


def etag_for(version: int) -> str:
    return f'"{version}"'


def required_if_match() -> Callable[[int], bool]:
    """The request's If-Match as a check of the stored version; edits and deletes without one
    are refused (428). RFC 9110 §13.1.1, parsed by Werkzeug: `*` matches any current
    representation, otherwise one listed entity tag must equal ours by strong comparison (a weak
    tag never matches)."""
    if request_header("If-Match") is None:
        raise PreconditionRequired(
            "Send If-Match with the ETag of the version you read.", code="version.if_match_required"
        )
    tags = flask.request.if_match
    return lambda version: tags.star_tag or tags.contains(str(version))
