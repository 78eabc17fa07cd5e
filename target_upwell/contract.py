"""Every assumption this target makes about the Upwell API, in one place.

Facts tagged [DOCS] come from Upwell's public reference; [ASSUMED] ones are the behaviour
``shared/upwell-contract.md`` assumes where the docs are silent (Hasura's). When the real
API turns out different, this is the module to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

DEFAULT_BASE_URL: Final = "https://api.upwell.com"  # [DOCS]

# Paths [DOCS]. The bulk body is {"inputs": [...]}; the answer {"createCustomers": {"returning"}}.
BULK_CREATE_PATH: Final = "/api/rest/bulk-customers"
SEARCH_PATH: Final = "/api/rest/customers/search"
UPDATE_BY_SOURCE_PATH: Final = "/api/rest/customers"
LIST_PATH: Final = "/api/rest/customers"

# Limits. None is documented; these bound what we send [ASSUMED].
MAX_BATCH_ROWS: Final = 1000
MAX_BODY_BYTES: Final = 5 * 1024 * 1024
# Search: we ask for this many rows a page [ASSUMED the server's cap]. `limit` defaults to
# 10 and has no documented maximum [DOCS], so a page may be shorter while rows remain: the
# client learns the real cap from its answers (``paging.PageCap``).
SEARCH_PAGE_LIMIT: Final = 1000
MAX_RETRY_AFTER_SECONDS: Final = 120.0

# Status policy [DOCS status table + ASSUMED Hasura behaviour].
TRANSIENT_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
# A gateway may answer these after the database committed: a write is then ambiguous [ASSUMED].
AMBIGUOUS_STATUSES: Final = frozenset({502, 504})
# None of the paths we call answers 404 for a row, so these mean `api_url` is wrong [ASSUMED].
WRONG_PATH_STATUSES: Final = frozenset({404, 405})
AUTH_STATUSES: Final = frozenset({401, 403})
TOO_LARGE_STATUSES: Final = frozenset({413})
CONFLICT_STATUSES: Final = frozenset({409})
# A duplicate (sourceSystem, sourceSystemId) comes back as 400 with this text [DOCS IP].
UNIQUENESS_PATTERN: Final = r"uniqueness violation|duplicate key"
# A row-level error names its input as objects[i] in the error path [ASSUMED].
ROW_PATH_PATTERN: Final = r"objects\[(\d+)\]"

# CustomersInsertInput [DOCS field list; ASSUMED Hasura wrapping].
SCALAR_FIELDS: Final = (
    "name",
    "sourceSystem",
    "sourceSystemId",
    "emailAddress",
    "ccEmailAddresses",
    "billToCustomerId",
    "collectorId",
    "metadata",
    "deletedAt",
    "addressesLastUpdatedAt",
    "contactsLastUpdatedAt",
)
ADDRESS_FIELDS: Final = (
    "type",
    "streetLine1",
    "streetLine2",
    "city",
    "stateOrProvince",
    "zipOrPostalCode",
    "country",
)
DEFAULT_ADDRESS_TYPE: Final = "ADDRESS_BOOK"
RULE_FIELDS: Final = ("dueOption",)
# Relationships with undocumented fields: passed through, wrapped, only when mapped.
PASSTHROUGH_ARRAY_RELATIONS: Final = ("contacts", "paymentLineItems", "remittanceLineItems")
PASSTHROUGH_OBJECT_RELATIONS: Final = ("customerEmailSettings", "customerIntegrationSettings")
PASSTHROUGH_RELATIONS: Final = (*PASSTHROUGH_ARRAY_RELATIONS, *PASSTHROUGH_OBJECT_RELATIONS)
# The update endpoint takes scalar columns only; `name` is NOT NULL, so never cleared.
NEVER_CLEARED: Final = frozenset({"name", "sourceSystem", "sourceSystemId"})
# Fields compared with what Upwell holds to decide whether an update is needed.
COMPARED_FIELDS: Final = tuple(f for f in SCALAR_FIELDS if f != "sourceSystem")
# The documented Customer answer [DOCS]. A mapped field it lacks (collectorId, deletedAt,
# the *LastUpdatedAt) can be written but never read back, so the target keeps a fingerprint
# of all it mapped in the customer's own `metadata`, under this one reserved key: a changed
# fingerprint is how a change to a field Upwell doesn't return is seen.
CUSTOMER_FIELDS: Final = frozenset(
    {
        "addresses",
        "balance",
        "billToCustomerId",
        "ccEmailAddresses",
        "createdAt",
        "customerRule",
        "emailAddress",
        "id",
        "metadata",
        "name",
        "overdueBalance",
        "overdueInvoiceCount",
        "sourceSystem",
        "sourceSystemId",
        "updatedAt",
    }
)
STAMP_KEY: Final = "_targetUpwell"


@dataclass(frozen=True)
class Reading:
    """One assumption the docs leave open: what we assume, and what else Upwell may do."""

    name: str
    assumed: str
    alternatives: tuple[str, ...]


# Every reading the target works under; `target-upwell-check` reports on each by name.
READINGS: Final = (
    Reading("api_key", "the raw key in Authorization is accepted", ("401/403: breaks",)),
    Reading("paths", "every path above answers under api_url", ("404/405: breaks",)),
    Reading(
        "search_page_cap",
        f"search answers up to {SEARCH_PAGE_LIMIT} rows a page",
        ("any smaller cap, e.g. 100 or 10: pages are followed and the cap learned",),
    ),
    Reading(
        "customer_fields",
        "answers carry exactly the documented Customer fields",
        (
            "more fields: those are compared directly",
            "no metadata: breaks (the fingerprint lives there)",
        ),
    ),
    Reading(
        "duplicate_key",
        "a duplicate key is 400 'Uniqueness violation'",
        ("409: handled the same way",),
    ),
    Reading(
        "row_error_path",
        "a row's error names objects[i] in its path",
        ("no row named: the refused row is found by bisection",),
    ),
    Reading(
        "address_types",
        "ADDRESS_BOOK, BILLING and SHIPPING are accepted",
        ("ADDRESS_BOOK only: presets and auto-map send no other type",),
    ),
    Reading(
        "deleted_in_search",
        "search shows customers whose deletedAt is set",
        ("hidden (the key still blocks an insert): updated by key, every mapped field",),
    ),
    Reading(
        "gateway_after_commit",
        "502/504 may come after a write committed",
        ("reconciled by searching the keys before anything is sent again",),
    ),
    Reading(
        "error_body_2xx",
        "a write succeeded only if its 2xx answer has the documented success shape",
        ("a 2xx error body, applied or not: reconciled as ambiguous",),
    ),
)
