"""OAuth2 for the PIM sandbox, the Akeneo way: password grant with the client as HTTP Basic, refresh grant.

Tokens live in the sandbox's SQLite file, so they survive a restart like the real service's do; their
lifetime is configurable so tests can watch an access token expire in a second.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sandbox.common import DocStore


class AuthError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Credentials:
    client_id: str
    secret: str
    username: str
    password: str
    token_ttl_s: float = 3600
    refresh_ttl_s: float = 14 * 24 * 3600


class TokenIssuer:
    def __init__(self, store: DocStore, credentials: Credentials) -> None:
        self.store, self.credentials = store, credentials

    def grant(self, authorization: str | None, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/oauth/v1/token``: a new access + refresh token pair, or AuthError."""
        creds = self.credentials
        client = _basic(authorization)
        if client != (creds.client_id, creds.secret):
            raise AuthError(
                422, 'Parameter "client_id" is missing or does not match any client, or secret is invalid'
            )
        grant_type = body.get("grant_type")
        if grant_type == "password":
            if not body.get("username") or not body.get("password"):
                raise AuthError(
                    422, 'Parameter "grant_type", "username" or "password" is missing, empty or invalid'
                )
            if (body["username"], body["password"]) != (creds.username, creds.password):
                raise AuthError(422, "No user found for the given username and password")
            return self._issue(creds.username)
        if grant_type == "refresh_token":
            token = str(body.get("refresh_token") or "")
            doc = self.store.by_key("tokens", "r:" + token) if token else None
            if doc is None or doc["expires_at"] < time.time():
                raise AuthError(422, "Refresh token is invalid or has expired")
            self.store.delete("tokens", doc["id"])  # refresh tokens are single use
            return self._issue(doc["username"])
        raise AuthError(422, 'Parameter "grant_type", "username" or "password" is missing, empty or invalid')

    def check(self, authorization: str | None) -> None:
        """Bearer token of an API call; AuthError(401) when missing, unknown or expired."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError(401, "The access token is missing.")
        doc = self.store.by_key("tokens", "a:" + token.strip())
        if doc is None:
            raise AuthError(401, "The access token provided is invalid.")
        if doc["expires_at"] < time.time():
            raise AuthError(401, "The access token provided has expired.")

    def _issue(self, username: str) -> dict[str, Any]:
        now = time.time()
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        creds = self.credentials
        self.store.insert(
            "tokens", {"username": username, "expires_at": now + creds.token_ttl_s}, key="a:" + access
        )
        self.store.insert(
            "tokens", {"username": username, "expires_at": now + creds.refresh_ttl_s}, key="r:" + refresh
        )
        return {
            "access_token": access,
            "expires_in": int(creds.token_ttl_s) if creds.token_ttl_s >= 1 else creds.token_ttl_s,
            "token_type": "bearer",
            "scope": None,
            "refresh_token": refresh,
        }


def _basic(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None
