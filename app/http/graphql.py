"""GraphQL over HTTP (the GraphQL-over-HTTP specification) on Starlette.

Parsing and validation are cached per document; the status code follows the negotiated
media type: `application/graphql-response+json` answers request errors with 400, plain
`application/json` answers every well-formed request with 200.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from datetime import timedelta
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from strawberry.types import ExecutionResult

from app import idempotency
from app.http.auth import AuthenticationError, authenticate_request
from app.http.document_limits import document_size
from app.http.graphiql import graphiql_page
from app.http.limits import Limits, measure
from app.http.rate_limit import RateLimiter, retry_after
from app.http.uploads import (
    UploadError,
    comparable,
    discard_uploads,
    is_multipart,
    multipart_params,
)
from app.jobs.targets import target_policy
from app.settings import Environment, Settings
from kernel.outbox import current_request_id
from kernel.permissions import Scope, has_scope
from kernel.principal import Principal
from schema import schema
from schema.context import Context
from schema.errors import RequestErrorCode
from schema.planner import PlannedExecutor

logger = logging.getLogger("crm.graphql")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


class RequestError(Exception):
    """A request that cannot be executed: answered with an errors-only response."""

    def __init__(self, status: int, message: str, code: RequestErrorCode, **headers: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers


def _media_type(accept: str | None) -> str | None:
    """The response's media type: graphql-response+json only when asked for by name; JSON
    without an Accept header or for `*/*` (as the GraphQL-over-HTTP spec says)."""
    if not accept:
        return JSON
    for part in accept.split(","):
        kind = part.split(";")[0].strip().lower()
        if kind == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if kind in (JSON, "*/*", "application/*"):
            return JSON
    return None


@lru_cache(maxsize=512)
def _document(query: str, max_tokens: int) -> DocumentNode | GraphQLError:
    try:
        return parse(query, max_tokens=max_tokens)
    except GraphQLSyntaxError as exc:
        return exc


@lru_cache(maxsize=512)
def _validation_errors(query: str, max_tokens: int) -> tuple[GraphQLError, ...]:
    document = _document(query, max_tokens)
    assert isinstance(document, DocumentNode)
    return tuple(validate(schema._schema, document))


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


async def _params(request: Request, max_body_bytes: int) -> Any:
    """The request's parameters: a dict, or a list of dicts for a batch (POST only)."""
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
        # Refusing form posts also closes the door to cross-site request forgery.
        raise RequestError(
            415, "send the request body as application/json", RequestErrorCode.BAD_USER_INPUT
        )
    body = await request.body()
    if len(body) > max_body_bytes:
        raise RequestError(
            413, f"request body over {max_body_bytes} bytes", RequestErrorCode.LIMIT_EXCEEDED
        )
    try:
        params = json.loads(body)
    except ValueError as exc:
        raise RequestError(400, "body is not valid JSON", RequestErrorCode.BAD_USER_INPUT) from exc
    if not isinstance(params, dict | list) or (isinstance(params, list) and not params):
        raise RequestError(
            400, "body must be an object or a non-empty list", RequestErrorCode.BAD_USER_INPUT
        )
    return params


def _check_params(params: Any) -> tuple[str, dict[str, Any] | None, str | None]:
    if not isinstance(params, dict):
        raise RequestError(400, "each operation must be an object", RequestErrorCode.BAD_USER_INPUT)
    query, variables = params.get("query"), params.get("variables")
    name = params.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise RequestError(400, "a query string is required", RequestErrorCode.BAD_USER_INPUT)
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "variables must be an object", RequestErrorCode.BAD_USER_INPUT)
    if name is not None and not isinstance(name, str):
        raise RequestError(400, "operationName must be a string", RequestErrorCode.BAD_USER_INPUT)
    return query, variables, name


def _mutates(params: Any, max_tokens: int) -> bool:
    """Whether a request names a mutation among its operations (unusable ones run nothing)."""
    for operation in params if isinstance(params, list) else [params]:
        if not isinstance(operation, dict) or not isinstance(operation.get("query"), str):
            continue
        document = _document(operation["query"], max_tokens)
        name = operation.get("operationName")
        if not isinstance(document, DocumentNode) or not isinstance(name, str | None):
            continue
        definition = _operation(document, name)
        if definition is not None and definition.operation is OperationType.MUTATION:
            return True
    return False


def _executed(body: Any) -> bool:
    """Whether any operation of a response body was executed: a request error has no `data`."""
    if isinstance(body, list):
        return any(_executed(item) for item in body)
    return "data" in body


_SUGGESTION = re.compile(r" Did you mean .*\?$")


class GraphQLEndpoint:
    """The `/graphql` endpoint: GraphiQL for browsers, GraphQL over HTTP for clients."""

    def __init__(self, settings: Settings, session_factory: Any, rate_limiter: RateLimiter) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.rate_limiter = rate_limiter
        self.limits = Limits(
            max_depth=settings.max_query_depth,
            max_cost=settings.max_query_cost,
            max_aliases=settings.max_query_aliases,
            max_root_fields=settings.max_root_fields,
        )
        self.production = settings.crm_env is Environment.PRODUCTION
        self.planner = None
        if settings.graphql_executor != "graphql-core":
            self.planner = PlannedExecutor(
                schema, one_statement=settings.graphql_executor == "planned"
            )
        self.webhook_policy = target_policy(settings)

    async def handle(self, request: Request) -> Response:
        request_id = getattr(request.state, "request_id", None) or uuid.uuid4().hex
        media_type = _media_type(request.headers.get("accept"))
        if request.method == "GET" and self._wants_ide(request):
            return HTMLResponse(graphiql_page())
        try:
            if media_type is None:
                raise RequestError(
                    406, f"accept {GRAPHQL_RESPONSE} or {JSON}", RequestErrorCode.BAD_USER_INPUT
                )
            principal = await self._principal(request)
            await self._take_token(principal)
            params = await self._request_params(request)
            context = Context(
                principal,
                self.session_factory,
                request_id,
                request,
                self.webhook_policy,
                self.settings.reporting_currency,
            )
            key = request.headers.get(idempotency.HEADER)
            if (
                key is not None
                and request.method == "POST"
                and _mutates(params, self.settings.max_query_tokens)
            ):
                return await self._idempotent(key, params, media_type, context)
            return await self._answer(params, request.method, media_type, context)
        except RequestError as exc:
            return self._errors(exc.status, [_error(str(exc), exc.code)], media_type, exc.headers)

    async def _request_params(self, request: Request) -> Any:
        """JSON (or query) parameters; multipart requests carry file uploads (`startImport`)."""
        if not is_multipart(request):
            return await _params(request, self.settings.max_body_bytes)
        try:
            return await multipart_params(request, self.settings)
        except UploadError as exc:
            code = RequestErrorCode.LIMIT_EXCEEDED if exc.status == 413 else None
            raise RequestError(
                exc.status, str(exc), code or RequestErrorCode.BAD_USER_INPUT
            ) from exc

    async def _answer(
        self, params: Any, method: str, media_type: str, context: Context
    ) -> Response:
        if isinstance(params, list):
            return await self._batch(params, method, media_type, context)
        result = await self._execute(params, method, media_type, context)
        return self._result(result, media_type, context.request_id)

    async def _idempotent(
        self, key: str, params: Any, media_type: str, context: Context
    ) -> Response:
        """Run a mutation request once per (principal, key); its retries get its response."""
        if not idempotency.is_valid_key(key):
            raise RequestError(
                400,
                f"{idempotency.HEADER} must be 1 to 255 printable ASCII characters",
                RequestErrorCode.BAD_USER_INPUT,
            )
        claim = await idempotency.claim(
            self.session_factory,
            context.principal.actor,
            key,
            idempotency.fingerprint(comparable(params)),
            timedelta(seconds=self.settings.idempotency_ttl_seconds),
        )
        if not isinstance(claim, idempotency.Claimed):
            discard_uploads(params)
        if claim is idempotency.Refusal.REUSED:
            raise RequestError(
                422,
                f"this {idempotency.HEADER} was already used for a different request",
                RequestErrorCode.IDEMPOTENCY_KEY_REUSED,
            )
        if claim is idempotency.Refusal.IN_PROGRESS:
            raise RequestError(
                409,
                f"the request of this {idempotency.HEADER} is still in progress; retry later",
                RequestErrorCode.IDEMPOTENCY_IN_PROGRESS,
                **{"Retry-After": "1"},
            )
        if isinstance(claim, idempotency.Stored):
            return Response(
                claim.response,
                status_code=claim.status_code,
                media_type=media_type,
                headers={idempotency.REPLAYED_HEADER: "true"},
            )
        # An exception escaping here leaves the key in progress until it expires: whether
        # the mutation committed is unknown, and running it twice is the one thing not allowed.
        try:
            response = await self._answer(params, "POST", media_type, context)
        except RequestError:
            await idempotency.release(self.session_factory, claim)
            raise
        body = bytes(response.body).decode()
        if _executed(json.loads(body)):
            await idempotency.complete(self.session_factory, claim, response.status_code, body)
        else:
            await idempotency.release(self.session_factory, claim)
        return response

    async def _execute(
        self, params: Any, method: str, media_type: str, context: Context
    ) -> ExecutionResult:
        """Check one operation against every limit, then run it."""
        query, variables, name = _check_params(params)
        document, operation = self._checked_document(query, name, method, media_type)
        self._check_shape(document, operation, variables, context, media_type)
        token = current_request_id.set(context.request_id)
        try:
            if self.planner is not None and operation.operation is OperationType.QUERY:
                planned = await self.planner.execute(document, operation, query, variables, context)
                if planned is not None:
                    return planned
            return await schema.execute(
                query, variable_values=variables, context_value=context, operation_name=name
            )
        finally:
            current_request_id.reset(token)

    async def _batch(
        self, operations: list[Any], method: str, media_type: str, context: Context
    ) -> Response:
        """Several operations in one request, each answered on its own, in order."""
        if not self.settings.batching_enabled:
            raise RequestError(
                400,
                "batched requests are turned off (GRAPHQL_BATCHING); send one operation",
                RequestErrorCode.BAD_USER_INPUT,
            )
        if len(operations) > self.settings.max_batch_operations:
            raise RequestError(
                400,
                f"at most {self.settings.max_batch_operations} operations per batch",
                RequestErrorCode.LIMIT_EXCEEDED,
            )
        bodies: list[dict[str, Any]] = []
        for params in operations:
            try:
                # Each operation of a batch is a request of its own for the rate limit; a
                # refused one is answered alone (the ones before it may have committed).
                await self._take_token(context.principal)
                result = await self._execute(params, method, media_type, context)
                bodies.append(self._body(result, context.request_id)[0])
            except RequestError as exc:
                bodies.append({"errors": [_error(str(exc), exc.code)]})
        return _JSONResponse(bodies, media_type=media_type)

    async def _take_token(self, principal: Principal) -> None:
        wait = await self.rate_limiter.take(principal.actor)
        if wait > 0:
            raise RequestError(
                429,
                "rate limit exceeded; retry later",
                RequestErrorCode.RATE_LIMITED,
                **{"Retry-After": retry_after(wait)},
            )

    def _check_shape(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: dict[str, Any] | None,
        context: Context,
        media_type: str,
    ) -> None:
        status = 400 if media_type == GRAPHQL_RESPONSE else 200
        fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        shape = measure(schema._schema, operation, fragments, variables)
        if (violation := shape.violation(self.limits)) is not None:
            raise RequestError(status, violation, RequestErrorCode.LIMIT_EXCEEDED)
        if (
            shape.introspection
            and self.production
            and not has_scope(context.principal, Scope.INTROSPECTION)
        ):
            raise RequestError(
                status, "introspection needs the introspection scope", RequestErrorCode.FORBIDDEN
            )

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
    ) -> tuple[DocumentNode, OperationDefinitionNode]:
        document = _document(query, self.settings.max_query_tokens)
        status = 400 if media_type == GRAPHQL_RESPONSE else 200
        if isinstance(document, GraphQLError):
            code = RequestErrorCode.GRAPHQL_PARSE_FAILED
            if "Parsing aborted" in document.message:  # past max_tokens
                code = RequestErrorCode.LIMIT_EXCEEDED
            raise RequestError(status, document.message, code)
        size = document_size(document)
        if (violation := size.violation(self.settings.max_query_selections)) is not None:
            raise RequestError(status, violation, RequestErrorCode.LIMIT_EXCEEDED)
        errors = _validation_errors(query, self.settings.max_query_tokens)
        if errors:
            messages = [self._message(e.message) for e in errors]
            raise RequestError(
                status, "; ".join(messages), RequestErrorCode.GRAPHQL_VALIDATION_FAILED
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
        return document, operation

    def _message(self, message: str) -> str:
        # In production, "Did you mean ...?" would map the schema for a hostile client.
        return _SUGGESTION.sub("", message) if self.production else message

    def _errors(
        self,
        status: int,
        errors: list[dict[str, Any]],
        media_type: str | None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        return _JSONResponse(
            {"errors": errors},
            status_code=status,
            media_type=media_type or GRAPHQL_RESPONSE,
            headers=headers,
        )

    def _body(self, result: ExecutionResult, request_id: str) -> tuple[dict[str, Any], bool]:
        """The response body, and whether it is a request error (no field ran)."""
        body: dict[str, Any] = {"data": result.data}
        if not result.errors:
            return body, False
        body["errors"] = [self._format(error, request_id) for error in result.errors]
        # No field ran (e.g. variables did not coerce): a request error.
        if result.data is None and all(e.path is None for e in result.errors):
            body.pop("data")
            return body, True
        return body, False

    def _result(self, result: ExecutionResult, media_type: str, request_id: str) -> Response:
        body, request_error = self._body(result, request_id)
        status = 400 if request_error and media_type == GRAPHQL_RESPONSE else 200
        return _JSONResponse(body, status_code=status, media_type=media_type)

    def _format(self, error: GraphQLError, request_id: str) -> dict[str, Any]:
        formatted: dict[str, Any] = dict(error.formatted)
        original = error.original_error
        if original is not None and not isinstance(original, GraphQLError):
            error_id = uuid.uuid4().hex
            logger.error(
                "unexpected error %s in request %s", error_id, request_id, exc_info=original
            )
            formatted["message"] = "Internal server error" if self.production else str(original)
            formatted["extensions"] = {
                "code": RequestErrorCode.INTERNAL_SERVER_ERROR.value,
                "errorId": error_id,
            }
        else:
            formatted["message"] = self._message(formatted["message"])
        if "code" not in (formatted.get("extensions") or {}):
            formatted.setdefault("extensions", {})["code"] = RequestErrorCode.BAD_USER_INPUT.value
        return formatted


class _JSONResponse(JSONResponse):
    """Encoded by orjson: a page of a few thousand fields in a tenth of the time."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _error(message: str, code: RequestErrorCode) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code.value}}
