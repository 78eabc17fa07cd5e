"""Names of the emulated endpoints, shared by routing, fault rules and stats."""

BULK_CUSTOMERS = "bulk-customers"
CUSTOMERS_CREATE = "customers-create"
CUSTOMERS_LIST = "customers-list"
CUSTOMERS_GET = "customers-get"
CUSTOMERS_SEARCH = "customers-search"
CUSTOMERS_UPDATE_BY_ID = "customers-update-by-id"
CUSTOMERS_UPDATE_BY_SOURCE = "customers-update-by-source"

#: Every name a fault rule's ``endpoint`` may take.
ENDPOINT_NAMES = frozenset(
    {
        BULK_CUSTOMERS,
        CUSTOMERS_CREATE,
        CUSTOMERS_LIST,
        CUSTOMERS_GET,
        CUSTOMERS_SEARCH,
        CUSTOMERS_UPDATE_BY_ID,
        CUSTOMERS_UPDATE_BY_SOURCE,
    }
)

#: The endpoints that write: the only ones the faults that answer after a commit fire on.
WRITE_ENDPOINTS = frozenset(
    {BULK_CUSTOMERS, CUSTOMERS_CREATE, CUSTOMERS_UPDATE_BY_ID, CUSTOMERS_UPDATE_BY_SOURCE}
)

#: The stats key of a request that matched no route.
UNKNOWN = "unknown"
