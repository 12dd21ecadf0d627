"""Helpers for API tests (also used by the other API test modules)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from kshare.api.models import ApiToken, token_generate, token_hash


def token_create(person, *, scope: str = "write", name: str = "test") -> str:
    """Create a token for ``person`` and return the raw secret."""
    raw = token_generate()
    ApiToken.objects.create(
        person=person, name=name, scope=scope, prefix=raw[:12], token_hash=token_hash(raw)
    )
    return raw


class ApiClient:
    """A test client that sends the bearer token and JSON bodies."""

    def __init__(self, token: str | None = None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def request(self, method: str, path: str, data: Any = None, **extra):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        kwargs: dict[str, Any] = {"headers": {**self._headers(), **extra.pop("headers", {})}}
        if method in {"get", "delete"}:
            if data is not None:
                kwargs["data"] = data
        elif data is not None:
            kwargs["data"] = json.dumps(data) if not isinstance(data, (str, bytes)) else data
            kwargs["content_type"] = "application/json"
        return getattr(self.client, method)(url, **kwargs, **extra)

    def get(self, path: str, data: Any = None, **extra):
        return self.request("get", path, data, **extra)

    def post(self, path: str, data: Any = None, **extra):
        return self.request("post", path, data, **extra)

    def patch(self, path: str, data: Any = None, **extra):
        return self.request("patch", path, data, **extra)

    def put(self, path: str, data: Any = None, **extra):
        return self.request("put", path, data, **extra)

    def delete(self, path: str, data: Any = None, **extra):
        return self.request("delete", path, data, **extra)
