"""Error envelopes: the two JSON shapes in which Upwell answers a failed request.

* Hasura's runtime form, ``{"code", "error", "path"}``, for validation and constraint errors;
* the documented form, ``{"error": {"code", "message", "details"?}, "status": "error"}``,
  for everything else (bad JSON, auth, unknown paths, rate limits, server errors).

Also ``SwitchError``, a bad change of a runtime switch, which the admin answers as a 400.
"""

from __future__ import annotations


class SwitchError(ValueError):
    """A runtime switch (a reading or a limit) that does not exist, or a value it can't take.

    Attributes:
        key: The switch at fault; None when the whole body is.
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        """Build the error.

        Args:
            message: What is wrong and what would be right.
            key: The switch at fault; None when the whole body is.
        """
        super().__init__(message)
        self.key = key


UNIQUE_VIOLATION = (
    "Uniqueness violation. duplicate key value violates unique constraint "
    '"customers_tenant_source_system_source_system_id_key"'
)
FOREIGN_KEY_VIOLATION = (
    'Foreign key violation. insert or update on table "customers" violates foreign key '
    'constraint "customers_bill_to_customer_id_fkey"'
)


def not_null_violation_message(column: str, relation: str) -> str:
    """Postgres's message for a NULL in a NOT NULL column, as Hasura relays it.

    Args:
        column: The column name.
        relation: The table name.

    Returns:
        The ``error`` text of the constraint violation.
    """
    return (
        f'Not-NULL violation. null value in column "{column}" of relation "{relation}" '
        "violates not-null constraint"
    )


NOT_NULL_VIOLATION = not_null_violation_message("name", "customers")


class ApiError(Exception):
    """A failed request, carrying the HTTP status, the JSON body and extra headers."""

    def __init__(
        self, status: int, body: dict[str, object], headers: dict[str, str] | None = None
    ) -> None:
        """Build the error.

        Args:
            status: The HTTP status to answer with.
            body: The JSON envelope to send.
            headers: Extra response headers, such as ``Retry-After``.
        """
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


class DuplicateKeyError(ApiError):
    """A uniqueness violation of the source key; the ``duplicate_status`` reading words it."""


def unique_violation() -> DuplicateKeyError:
    """Hasura's answer to a second customer with a stored (sourceSystem, sourceSystemId).

    Returns:
        A 400 ``constraint-violation`` naming the unique constraint, with path ``$``.
    """
    body: dict[str, object] = {"code": "constraint-violation", "error": UNIQUE_VIOLATION}
    return DuplicateKeyError(400, {**body, "path": "$"})


def already_exists() -> ApiError:
    """The documented answer to a duplicate key, when the ``duplicate_status`` reading is 409.

    Returns:
        A 409 ``RESOURCE_ALREADY_EXISTS`` in the documented envelope.
    """
    message = "A customer with this sourceSystem and sourceSystemId already exists"
    return documented_error(409, "RESOURCE_ALREADY_EXISTS", message)


def without_row(error: ApiError) -> ApiError:
    """The same Hasura error with path ``$``: one that names no row of the batch.

    Args:
        error: An error of a bulk insert, in Hasura's envelope.

    Returns:
        A copy with path ``$``.
    """
    return ApiError(error.status, {**error.body, "path": "$"}, error.headers)


def validation_failed(message: str, path: str) -> ApiError:
    """Hasura's answer to an input that does not fit the GraphQL schema.

    Args:
        message: The ``error`` text, e.g. ``field 'x' not found in type: '...'``.
        path: The JSON path of the offending field, starting with ``$``.

    Returns:
        A 400 error in Hasura's envelope with code ``validation-failed``.
    """
    return ApiError(400, {"code": "validation-failed", "error": message, "path": path})


def constraint_violation(message: str) -> ApiError:
    """Hasura's answer to a Postgres constraint error (unique, NOT NULL, foreign key).

    Args:
        message: The ``error`` text, one of the ``*_VIOLATION`` constants.

    Returns:
        A 400 error in Hasura's envelope with code ``constraint-violation`` and path ``$``.
    """
    return ApiError(400, {"code": "constraint-violation", "error": message, "path": "$"})


def data_exception(message: str) -> ApiError:
    """Hasura's answer to a value Postgres cannot cast, such as a malformed timestamp.

    Args:
        message: The Postgres message.

    Returns:
        A 400 error in Hasura's envelope with code ``data-exception`` and path ``$``.
    """
    return ApiError(400, {"code": "data-exception", "error": message, "path": "$"})


def documented_error(
    status: int,
    code: str,
    message: str,
    details: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
) -> ApiError:
    """An error in the envelope the Upwell docs describe.

    Args:
        status: The HTTP status.
        code: The upper-case error code, e.g. ``VALIDATION_ERROR``.
        message: A human-readable message.
        details: Optional structured details.
        headers: Extra response headers.

    Returns:
        The error, ready to be answered.
    """
    error: dict[str, object] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return ApiError(status, {"error": error, "status": "error"}, headers)


def bad_request(message: str, field: str | None = None) -> ApiError:
    """A 400 ``VALIDATION_ERROR`` for a body whose overall shape is wrong.

    Args:
        message: What is wrong, naming the field.
        field: The top-level field at fault, if any.

    Returns:
        The error in the documented envelope.
    """
    details: dict[str, object] | None = None if field is None else {"field": field}
    return documented_error(400, "VALIDATION_ERROR", message, details)
