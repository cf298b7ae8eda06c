"""What the hub's mappings produce, made into what Shopify's REST API accepts; reading its 422s."""

from __future__ import annotations

import json
from typing import Any

from hub.errors import RemoteRejected


def taken(exc: RemoteRejected, field: str) -> bool:
    """A 422 that says ``field`` is already taken (Shopify: ``{"errors": {"email": ["has already been taken"]}}``)."""
    try:
        errors = json.loads(exc.body or "{}").get("errors")
    except (ValueError, AttributeError):
        return False
    if not isinstance(errors, dict):
        return False
    return any(field in str(k) and "taken" in str(v) for k, v in errors.items())


def tag_list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(t).strip() for t in items if str(t).strip()]


def product_payload(payload: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in payload.items() if v is not None or k in ("body_html", "vendor")}
    if isinstance(out.get("tags"), list):
        out["tags"] = ", ".join(str(t) for t in out["tags"])
    if isinstance(out.get("images"), list):
        out["images"] = [{"src": i} if isinstance(i, str) else i for i in out["images"]]
    return out


def customer_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The mapping sends ``default_address`` (or a flat ``company``) and a ``metafields`` dict; Shopify
    wants an address list and a metafield list."""
    out = dict(payload)
    company = out.pop("company", None)
    default_address = out.pop("default_address", None)  # Shopify sets it through the address list
    if isinstance(default_address, dict) and "addresses" not in out:
        out["addresses"] = [{**default_address, "default": True}]
    elif company is not None and "addresses" not in out:
        out["addresses"] = [{"company": company, "default": True}]
    if isinstance(out.get("metafields"), dict):
        out["metafields"] = [
            {"namespace": "hub", "key": k, "value": str(v), "type": "single_line_text_field"}
            for k, v in out["metafields"].items()
            if v is not None
        ]
    if isinstance(out.get("tags"), list):
        out["tags"] = ", ".join(str(t) for t in out["tags"])
    return out
