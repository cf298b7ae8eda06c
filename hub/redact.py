"""Secrets out of messages: URLs that carry a password, and HTTP errors that quote the URL they hit.

Messages end up in logs, the failures table, run metadata, alerts and OpenLineage events, all of
which ops read and keep; a password in a URL (``https://user:pw@host``) or a token in a webhook
path (Slack: ``/services/T../B../<secret>``) must not travel with them.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests


def redact_url(url: str) -> str:
    """``url`` with the password of its user part replaced by ``***`` (path and query kept)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def url_origin(url: str) -> str:
    """Only scheme, host and port: for URLs whose path itself is the secret (webhooks)."""
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return "<unparsable URL>"


def http_failure(exc: requests.RequestException) -> str:
    """What went wrong with a request, without the URL requests puts in its messages."""
    response = getattr(exc, "response", None)
    if response is not None:
        return f"HTTP {response.status_code}"
    return type(exc).__name__
