"""GraphQL over HTTP (the GraphQL-over-HTTP specification) on Starlette.

Parsing and validation are cached per document; the status code follows the negotiated
media type: `application/graphql-response+json` answers request errors with 400, plain
`application/json` answers every well-formed request with 200.
"""

from __future__ import annotations

import json
import logging
import uuid
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from strawberry.http.ides import get_graphql_ide_html
from strawberry.types import ExecutionResult

from app.auth import AuthenticationError, authenticate_request
from app.settings import Environment, Settings
from resolvers.events import current_request_id
from schema import schema
from schema.context import Context
from schema.errors import RequestErrorCode

logger = logging.getLogger("crm.graphql")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY_BYTES = 1_000_000


class RequestError(Exception):
    """A request that cannot be executed: answered with an errors-only response."""

    def __init__(self, status: int, message: str, code: RequestErrorCode, **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers


def _media_type(accept: str | None) -> str | None:
    if not accept:
        return GRAPHQL_RESPONSE
    for part in accept.split(","):
        kind = part.split(";")[0].strip().lower()
        if kind in (GRAPHQL_RESPONSE, "*/*", "application/*"):
            return GRAPHQL_RESPONSE
        if kind == JSON:
            return JSON
    return None


@lru_cache(maxsize=512)
def _document(query: str) -> DocumentNode | GraphQLError:
    try:
        return parse(query)
    except GraphQLSyntaxError as exc:
        return exc


@lru_cache(maxsize=512)
def _validation_errors(query: str) -> tuple[GraphQLError, ...]:
    document = _document(query)
    assert isinstance(document, DocumentNode)
    return tuple(validate(schema._schema, document))


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


async def _params(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        if "variables" in params:
            try:
                params["variables"] = json.loads(params["variables"])
            except ValueError as exc:
                raise RequestError(
                    400, "variables must be JSON", RequestErrorCode.BAD_USER_INPUT
                ) from exc
        return params
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        raise RequestError(
            415, "send the request body as application/json", RequestErrorCode.BAD_USER_INPUT
        )
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise RequestError(413, "request body too large", RequestErrorCode.BAD_USER_INPUT)
    try:
        params = json.loads(body)
    except ValueError as exc:
        raise RequestError(400, "body is not valid JSON", RequestErrorCode.BAD_USER_INPUT) from exc
    if not isinstance(params, dict):
        raise RequestError(400, "body must be a JSON object", RequestErrorCode.BAD_USER_INPUT)
    return params


def _check_params(params: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str | None]:
    query, variables, name = (
        params.get("query"),
        params.get("variables"),
        params.get("operationName"),
    )
    if not isinstance(query, str) or not query.strip():
        raise RequestError(400, "a query string is required", RequestErrorCode.BAD_USER_INPUT)
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "variables must be an object", RequestErrorCode.BAD_USER_INPUT)
    if name is not None and not isinstance(name, str):
        raise RequestError(400, "operationName must be a string", RequestErrorCode.BAD_USER_INPUT)
    return query, variables, name


class GraphQLEndpoint:
    """The `/graphql` endpoint: GraphiQL for browsers, GraphQL over HTTP for clients."""

    def __init__(self, settings: Settings, session_factory: Any) -> None:
        self.settings = settings
        self.session_factory = session_factory

    async def handle(self, request: Request) -> Response:
        request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
        media_type = _media_type(request.headers.get("accept"))
        if request.method == "GET" and self._wants_ide(request):
            return HTMLResponse(get_graphql_ide_html(graphql_ide="graphiql"))
        try:
            if media_type is None:
                raise RequestError(
                    406, f"accept {GRAPHQL_RESPONSE} or {JSON}", RequestErrorCode.BAD_USER_INPUT
                )
            principal = await self._principal(request)
            query, variables, name = _check_params(await _params(request))
            document = self._checked_document(query, name, request.method, media_type)
            context = Context(principal, self.session_factory, request_id, request)
            token = current_request_id.set(request_id)
            try:
                result = await schema.execute(
                    query, variable_values=variables, context_value=context, operation_name=name
                )
            finally:
                current_request_id.reset(token)
            del document
        except RequestError as exc:
            return self._errors(exc.status, [_error(str(exc), exc.code)], media_type, exc.headers)
        return self._result(result, media_type or GRAPHQL_RESPONSE, request_id)

    def _wants_ide(self, request: Request) -> bool:
        accept = request.headers.get("accept", "")
        return (
            self.settings.crm_env is Environment.DEVELOPMENT
            and "text/html" in accept
            and "query" not in request.query_params
        )

    async def _principal(self, request: Request) -> Any:
        try:
            return await authenticate_request(
                self.settings, self.session_factory, request.headers.get("authorization")
            )
        except AuthenticationError as exc:
            raise RequestError(
                401, str(exc), RequestErrorCode.UNAUTHENTICATED, **{"WWW-Authenticate": "Bearer"}
            ) from exc

    def _checked_document(
        self, query: str, name: str | None, method: str, media_type: str
    ) -> DocumentNode:
        document = _document(query)
        status = 400 if media_type == GRAPHQL_RESPONSE else 200
        if isinstance(document, GraphQLError):
            raise RequestError(status, document.message, RequestErrorCode.GRAPHQL_PARSE_FAILED)
        errors = _validation_errors(query)
        if errors:
            raise RequestError(
                status,
                "; ".join(e.message for e in errors),
                RequestErrorCode.GRAPHQL_VALIDATION_FAILED,
            )
        operation = _operation(document, name)
        if operation is None:
            raise RequestError(
                status, "operationName does not name one operation", RequestErrorCode.BAD_USER_INPUT
            )
        if method == "GET" and operation.operation is not OperationType.QUERY:
            raise RequestError(
                405,
                "only queries may be sent with GET; use POST",
                RequestErrorCode.BAD_USER_INPUT,
                Allow="POST",
            )
        return document

    def _errors(
        self,
        status: int,
        errors: list[dict[str, Any]],
        media_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        return JSONResponse(
            {"errors": errors},
            status_code=status,
            media_type=media_type or GRAPHQL_RESPONSE,
            headers=headers,
        )

    def _result(self, result: ExecutionResult, media_type: str, request_id: str) -> Response:
        body: dict[str, Any] = {"data": result.data}
        status = 200
        if result.errors:
            body["errors"] = [self._format(error, request_id) for error in result.errors]
            # No field ran (e.g. variables did not coerce): a request error.
            if result.data is None and all(e.path is None for e in result.errors):
                body.pop("data")
                status = 400 if media_type == GRAPHQL_RESPONSE else 200
        return JSONResponse(body, status_code=status, media_type=media_type)

    def _format(self, error: GraphQLError, request_id: str) -> dict[str, Any]:
        formatted: dict[str, Any] = dict(error.formatted)
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError):
            error_id = uuid.uuid4().hex
            logger.error(
                "unexpected error %s in request %s", error_id, request_id, exc_info=original
            )
            masked = self.settings.crm_env is Environment.PRODUCTION
            formatted["message"] = "Internal server error" if masked else str(original)
            formatted["extensions"] = {
                "code": RequestErrorCode.INTERNAL_SERVER_ERROR.value,
                "errorId": error_id,
            }
        elif "code" not in (formatted.get("extensions") or {}):
            formatted.setdefault("extensions", {})["code"] = RequestErrorCode.BAD_USER_INPUT.value
        return formatted


def _error(message: str, code: RequestErrorCode) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code.value}}
