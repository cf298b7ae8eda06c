"""Akeneo's OAuth2 on top of the shared HTTP client: password grant, refresh grant, one retry on 401.

The base client knows nothing about auth, so this subclass wraps ``request``: it gets a token before
the first call, refreshes it shortly before it expires, and when the server still says 401 (token
revoked, clock skew, server restarted) it refreshes once and sends the request again. A refused
refresh token falls back to the password grant; refused credentials stop the run (``FatalError``),
because no record can be written until someone fixes the configuration.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

from connectors.base.http import HttpClient
from hub.errors import FatalError, RemoteRejected
from hub.redact import redact_url

TOKEN_PATH = "api/oauth/v1/token"


class AkeneoClient(HttpClient):
    def __init__(
        self,
        base_url: str,
        *,
        client_id: str,
        secret: str,
        username: str,
        password: str,
        refresh_margin_s: float = 30.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(base_url, **kwargs)
        self._client = (client_id, secret)
        self._user = (username, password)
        self.refresh_margin_s = refresh_margin_s
        self._access: str | None = None
        self._refresh: str | None = None
        self._renew_at = 0.0
        self._auth_lock = threading.Lock()
        self.token_grants: dict[str, int] = {"password": 0, "refresh_token": 0}

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A Bearer-authenticated request; a 401 gets one fresh token and one more try."""
        token = self.access_token()
        try:
            return super().request(method, path, **_bearer(kwargs, token))
        except RemoteRejected as exc:
            if exc.status != 401:
                raise
        return super().request(method, path, **_bearer(kwargs, self.access_token(stale=token)))

    def access_token(self, stale: str | None = None) -> str:
        """The current token, renewed when it is about to expire or the server refused ``stale``."""
        with self._auth_lock:
            fresh = self._access is not None and self._access != stale and time.monotonic() < self._renew_at
            if fresh and self._access is not None:
                return self._access
            grant = None
            if self._refresh:
                try:
                    grant = self._grant({"grant_type": "refresh_token", "refresh_token": self._refresh})
                except RemoteRejected:
                    grant = None  # expired or already used: start over with the password grant
            if grant is None:
                username, password = self._user
                try:
                    grant = self._grant(
                        {"grant_type": "password", "username": username, "password": password}
                    )
                except RemoteRejected as exc:
                    raise FatalError(
                        f"akeneo: authentication refused at {redact_url(self.url(TOKEN_PATH))} (HTTP {exc.status}): "
                        "check client_id, secret, username and password"
                    ) from None
            self._access = str(grant["access_token"])
            self._refresh = grant.get("refresh_token")
            lifetime = float(grant.get("expires_in") or 3600)
            self._renew_at = time.monotonic() + lifetime - min(self.refresh_margin_s, lifetime / 10)
            return self._access

    def _grant(self, body: dict[str, str]) -> dict[str, Any]:
        # HttpClient.request, not ours: the token call carries client credentials, not a Bearer token
        response = super().request("POST", TOKEN_PATH, json=body, auth=self._client)
        self.token_grants[body["grant_type"]] += 1
        return dict(response.json())


def _bearer(kwargs: dict[str, Any], token: str) -> dict[str, Any]:
    return {**kwargs, "headers": {**(kwargs.get("headers") or {}), "Authorization": f"Bearer {token}"}}
