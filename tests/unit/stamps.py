"""Read mapped customers without the fingerprint the mapping adds to every ``metadata``."""

from __future__ import annotations

from typing import Any

from target_upwell import contract


def unstamped(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` (scalars or an insert input) less the stamp; a ``metadata`` left empty goes."""
    metadata = fields.get("metadata")
    if not isinstance(metadata, dict) or contract.STAMP_KEY not in metadata:
        return fields
    rest = {k: v for k, v in metadata.items() if k != contract.STAMP_KEY}
    others = {k: v for k, v in fields.items() if k != "metadata"}
    return {**others, "metadata": rest} if rest else others
