"""Routes: which method and path is which customers endpoint, and what each one answers.

Each handler reads the readings once, and answers as they say: every customer in an answer
is the documented Customer object, whatever else is stored.
"""

from __future__ import annotations

import dataclasses
import re
from contextlib import contextmanager
from typing import TYPE_CHECKING

from . import endpoints
from .errors import ApiError, DuplicateKeyError, already_exists, bad_request, without_row
from .query import by_id, live_only, page_query, search_query
from .rules import (
    ADDRESS_BOOK_ONLY,
    ADDRESS_TYPES,
    cast_columns,
    cast_customer,
    check_insert,
    check_rules_set,
    check_set,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from .app import Sandbox
    from .query import Query
    from .readings import Readings

# Hasura names the path of a bad input after the GraphQL mutation behind each endpoint.
_INSERT_MANY = "$.selectionSet.insertCustomers.args.objects"
_INSERT_ONE = "$.selectionSet.insertCustomer.args.object"
_SET = "$.selectionSet.updateCustomer.args._set"
_RULES_SET = "$.selectionSet.updateCustomerRules.args._set"


@dataclasses.dataclass(frozen=True)
class ApiRequest:
    """An authenticated request, decoded.

    Attributes:
        tenant: The tenant id of the API key.
        params: Path parameters, such as ``id``.
        query: Query-string parameters (the last value of each).
        body: The JSON body, an object; empty for GET.
    """

    tenant: str
    params: Mapping[str, str]
    query: Mapping[str, str]
    body: Mapping[str, object]

    def variable(self, name: str) -> object:
        """A variable from the body, else the path, else the query string, as Hasura takes it.

        Args:
            name: The variable, e.g. ``sourceSystem``.

        Returns:
            Its value, or None.
        """
        value = self.body.get(name)
        if value is None:
            value = self.params.get(name, self.query.get(name))
        return value


@dataclasses.dataclass(frozen=True)
class Route:
    """One endpoint: its method, its path pattern, its name and its handler."""

    method: str
    pattern: re.Pattern[str]
    endpoint: str
    handler: Callable[[Sandbox, ApiRequest], dict[str, object]]


def bulk_create(app: Sandbox, request: ApiRequest) -> dict[str, object]:
    """``POST /bulk-customers``: insert every input or none (one Hasura statement)."""
    readings = app.readings.current()
    inputs = request.body.get("inputs")
    if not isinstance(inputs, list):
        msg = "inputs is required and must be a list of customers"
        raise bad_request(msg, "inputs")
    with _worded(readings, bulk=True):
        types = _address_types(readings)
        checked = [
            check_insert(item, f"{_INSERT_MANY}[{i}]", types) for i, item in enumerate(inputs)
        ]
        created = app.store.insert(request.tenant, [cast_customer(c) for c in checked])
    app.stats.add_rows(inserted=len(created))
    return {"createCustomers": {"returning": created}}


def create_one(app: Sandbox, request: ApiRequest) -> dict[str, object]:
    """``POST /customers``: insert one customer."""
    readings = app.readings.current()
    value = request.body.get("input")
    if not isinstance(value, dict):
        msg = "input is required and must be a customer object"
        raise bad_request(msg, "input")
    with _worded(readings):
        checked = check_insert(value, _INSERT_ONE, _address_types(readings))
        created = app.store.insert(request.tenant, [cast_customer(checked)])
    app.stats.add_rows(inserted=len(created))
    return {"createCustomer": created[0]}


def list_many(app: Sandbox, request: ApiRequest) -> dict[str, object]:
    """``GET /customers?limit=&offset=``: a page, and the count of all the tenant's rows."""
    readings = app.readings.current()
    query = _visible(page_query(request.query, readings.search_max_limit), readings)
    customers, total = app.store.page(request.tenant, query)
    return {"customers": customers, "customersAggregate": {"aggregate": {"count": total}}}


def get_one(app: Sandbox, request: ApiRequest) -> dict[str, object]:
    """``GET /customers/{id}``: the customer, or null when the tenant has none with that id."""
    query = _visible(by_id(request.params["id"]), app.readings.current())
    found = app.store.search(request.tenant, query)
    return {"customer": found[0] if found else None}


def search(app: Sandbox, request: ApiRequest) -> dict[str, object]:
    """``POST /customers/search``: a page of the customers matching ``where``."""
    readings = app.readings.current()
    query = search_query(request.body, request.query, readings.search_max_limit)
    return {"customers": app.store.search(request.tenant, _visible(query, readings))}


def update_by_id(app: Sandbox, request: ApiRequest) -> dict[str, object]:
    """``PUT /customers/{id}``: set scalar columns, and the rule's columns if it exists."""
    with _worded(app.readings.current()):
        columns, rules = _update_args(request.body)
        result = app.store.update_by_id(request.tenant, request.params["id"], columns, rules)
    app.stats.add_rows(updated=result.rows_written)
    return {
        "updateCustomer": result.customers[0] if result.customers else None,
        "updateCustomerRules": {"affectedRows": result.rules_affected},
    }


def update_by_source(app: Sandbox, request: ApiRequest) -> dict[str, object]:
    """``PUT /customers``: the same, for the customer with this source-system key.

    It finds a soft-deleted customer whatever the ``deleted_in_search`` reading, so setting
    ``deletedAt`` to null brings one back.
    """
    source = (
        _required_string(request, "sourceSystem"),
        _required_string(request, "sourceSystemId"),
    )
    with _worded(app.readings.current()):
        columns, rules = _update_args(request.body)
        result = app.store.update_by_source(request.tenant, source, columns, rules)
    app.stats.add_rows(updated=result.rows_written)
    return {
        "updateCustomer": {"affectedRows": len(result.customers), "returning": result.customers},
        "updateCustomerRules": {"affectedRows": result.rules_affected},
    }


ROUTES = (
    Route("POST", re.compile(r"/api/rest/bulk-customers"), endpoints.BULK_CUSTOMERS, bulk_create),
    Route("POST", re.compile(r"/api/rest/customers"), endpoints.CUSTOMERS_CREATE, create_one),
    Route("GET", re.compile(r"/api/rest/customers"), endpoints.CUSTOMERS_LIST, list_many),
    Route("POST", re.compile(r"/api/rest/customers/search"), endpoints.CUSTOMERS_SEARCH, search),
    Route(
        "GET", re.compile(r"/api/rest/customers/(?P<id>[^/]+)"), endpoints.CUSTOMERS_GET, get_one
    ),
    Route(
        "PUT",
        re.compile(r"/api/rest/customers/(?P<id>[^/]+)"),
        endpoints.CUSTOMERS_UPDATE_BY_ID,
        update_by_id,
    ),
    Route(
        "PUT",
        re.compile(r"/api/rest/customers"),
        endpoints.CUSTOMERS_UPDATE_BY_SOURCE,
        update_by_source,
    ),
)


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """Find the endpoint of a request.

    Args:
        method: The HTTP method.
        path: The decoded URL path, without the query string.

    Returns:
        The route and its path parameters, or None for an unknown method and path.
    """
    trimmed = path.rstrip("/") or "/"
    for route in ROUTES:
        found = route.pattern.fullmatch(trimmed)
        if found is not None and route.method == method:
            return route, found.groupdict()
    return None


@contextmanager
def _worded(readings: Readings, *, bulk: bool = False) -> Iterator[None]:
    """Word a failed write as the readings say: a duplicate key, and a bulk row's path."""
    try:
        yield
    except DuplicateKeyError as exc:
        if readings.conflict_on_duplicate:
            raise already_exists() from exc
        raise
    except ApiError as exc:
        if not bulk or readings.rows_named or "path" not in exc.body:
            raise
        raise without_row(exc) from exc


def _address_types(readings: Readings) -> frozenset[str]:
    return ADDRESS_BOOK_ONLY if readings.only_address_book else ADDRESS_TYPES


def _visible(query: Query, readings: Readings) -> Query:
    return live_only(query) if readings.hide_deleted else query


def _update_args(
    body: Mapping[str, object],
) -> tuple[dict[str, object], dict[str, int | None] | None]:
    # Hasura parses both mutations' arguments before casting any value.
    value, rules_value = body.get("input"), body.get("customerRulesInput")
    columns = {} if value is None else check_set(value, _SET)
    rules = None if rules_value is None else check_rules_set(rules_value, _RULES_SET)
    return cast_columns(columns), rules


def _required_string(request: ApiRequest, name: str) -> str:
    value = request.variable(name)
    if not isinstance(value, str):
        msg = f"{name} is required and must be a string"
        raise bad_request(msg, name)
    return value
