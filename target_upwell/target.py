"""target-upwell: the plugin's name, its settings and its sink; nothing else.

What the plugin does differently from the SDK lives in ``plugin.py``.
"""

from __future__ import annotations

from singer_sdk import typing as th

from target_upwell import contract, settings
from target_upwell.mapping.routing import preset_names
from target_upwell.plugin import FastTarget
from target_upwell.sinks import CustomersSink


class TargetUpwell(FastTarget):
    """Load customers from any Singer tap into Upwell, through its bulk-customers API."""

    name = "target-upwell"
    package_name = "target-upwell"
    default_sink_class = CustomersSink
    config_jsonschema = th.PropertiesList(
        th.Property(
            "api_key",
            th.StringType,
            required=True,
            secret=True,
            title="API key",
            description="Upwell API key (Settings → API Keys). Sent as the raw"
            " Authorization header; never logged.",
        ),
        th.Property(
            "api_url",
            th.StringType,
            default=settings.DEFAULTS["api_url"],
            title="API URL",
            description="Base URL of the Upwell API. Plain http:// only for a loopback host"
            " (the local sandbox).",
        ),
        th.Property(
            "source_system",
            th.StringType,
            title="Source system",
            description="The sourceSystem written on every customer unless the mapping sets"
            " it, e.g. NETSUITE. Required unless every mapped stream sets sourceSystem.",
        ),
        th.Property(
            "mapping",
            th.ObjectType(additional_properties=True),
            title="Mapping",
            description="Per stream (or '*'): Upwell field → JMESPath expression on the"
            " record. Without it every stream is auto-mapped by field names.",
        ),
        th.Property(
            "mapping_preset",
            th.StringType,
            allowed_values=preset_names(),
            title="Mapping preset",
            description="A built-in mapping for one tap's customer stream (quickbooks, xero,"
            " stripe, hubspot, salesforce). Fields in `mapping` for that stream override it.",
        ),
        th.Property(
            "load_method",
            th.StringType,
            default=settings.DEFAULTS["load_method"],
            allowed_values=["upsert", "append-only"],
            title="Load method",
            description="upsert: insert new keys, update changed customers. append-only:"
            " bulk insert only; an existing key is rejected as already_exists.",
        ),
        th.Property(
            "batch_size_rows",
            th.IntegerType,
            default=settings.DEFAULTS["batch_size_rows"],
            title="Batch size (rows)",
            description=f"Customers per batch; above {contract.MAX_BATCH_ROWS} is lowered to"
            f" {contract.MAX_BATCH_ROWS}. A request is also cut before its body passes 5 MB.",
        ),
        th.Property(
            "request_timeout",
            th.NumberType,
            default=settings.DEFAULTS["request_timeout"],
            title="Request timeout",
            description="Seconds to wait for a response.",
        ),
        th.Property(
            "max_retries",
            th.IntegerType,
            default=settings.DEFAULTS["max_retries"],
            title="Max retries",
            description="Retries after the first attempt, for 429, 5xx, timeouts and drops.",
        ),
        th.Property(
            "max_concurrent_requests",
            th.IntegerType,
            default=settings.DEFAULTS["max_concurrent_requests"],
            title="Max concurrent requests",
            description="Requests in flight at once, shared by every stream; up to twice as"
            " many mapped batches wait behind them.",
        ),
        th.Property(
            "max_requests_per_second",
            th.NumberType,
            title="Max requests per second",
            description="Optional client-side rate limit; unlimited by default, because"
            " Upwell publishes no limit.",
        ),
        th.Property(
            "dead_letter_file",
            th.StringType,
            default=settings.DEFAULTS["dead_letter_file"],
            title="Dead-letter file",
            description="JSON Lines file that receives every record that can't be loaded,"
            " with its reason.",
        ),
        th.Property(
            "dead_letter_include_record",
            th.BooleanType,
            default=settings.DEFAULTS["dead_letter_include_record"],
            title="Dead-letter includes the record",
            description="Also write the tap's original record to the dead-letter file, so"
            " target-upwell-replay can rebuild every rejection. The file then holds personal"
            " data (names, emails, addresses), like the tap's output; logs never do.",
        ),
        th.Property(
            "max_rejected_records",
            th.IntegerType,
            default=settings.DEFAULTS["max_rejected_records"],
            title="Max rejected records",
            description="A run that rejects more records than this exits 3 once all input"
            " is processed.",
        ),
    ).to_dict()
