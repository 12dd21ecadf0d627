"""A real OpenID Connect provider on loopback for the single sign-on tests.

``provider.mjs`` runs panva's certified ``oidc-provider`` (``make oidc`` installs it into
``.cache/oidc-provider``; ``KSHARE_OIDC_PROVIDER`` may name another folder) under ``node``. It
signs ID tokens with an RSA key the test makes, so that ``TokenProxy`` — a small HTTP server in
front of the provider's token endpoint, named in the discovery document kshare reads — can
hand kshare a token the provider's own key signed but with claims it must refuse (expired,
another audience), or one whose claims were changed after signing (tampered).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

PROJECT_ROOT = Path(__file__).resolve().parents[4]
PROVIDER_JS = Path(__file__).with_name("provider.mjs")
CLIENT_ID = "kshare"
CLIENT_SECRET = "kshare-test-secret"
KEY_ID = "kshare-test-key"

# The provider's people: (id typed in its sign-in form) -> claims.
ACCOUNTS = {
    "noor": {
        "email": "noor@acme.example",
        "email_verified": True,
        "name": "Noor Haddad",
        "team": "Data Science",
        "groups": ["staff"],
    },
    "ada": {
        "email": "ada@acme.example",
        "email_verified": True,
        "name": "Ada Admin",
        "team": "Platform",
        "groups": ["staff", "kshare-admins"],
    },
    "uma": {
        "email": "uma@acme.example",
        "email_verified": False,
        "name": "Uma Unverified",
        "team": "Sales",
        "groups": ["staff"],
    },
    "dora": {
        "email": "dora@acme.example",
        "email_verified": True,
        "name": "Dora Disabled",
        "team": "Sales",
        "groups": ["staff"],
    },
    "lea": {
        "email": "lea@acme.example",
        "email_verified": True,
        "name": "Lea Leaver",
        "team": "Sales",
        "groups": ["staff"],
    },
}


def provider_modules() -> Path:
    return Path(os.environ.get("KSHARE_OIDC_PROVIDER") or PROJECT_ROOT / ".cache" / "oidc-provider")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenProxy:
    """Forwards kshare's requests for the discovery document and the token endpoint to the
    provider; ``mode`` changes the ID token in the token endpoint's answer."""

    provider_url: str
    private_key: rsa.RSAPrivateKey
    mode: str = "pass"  # pass | tamper | expired | audience
    url: str = ""
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet test output
                pass

            def _answer(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                body = requests.get(proxy.provider_url + self.path, timeout=10).content
                if self.path.startswith("/.well-known/openid-configuration"):
                    metadata = json.loads(body)
                    metadata["token_endpoint"] = proxy.url + "/token"
                    body = json.dumps(metadata).encode()
                self._answer(200, body, "application/json")

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                response = requests.post(
                    proxy.provider_url + "/token",
                    data=data,
                    headers={"Content-Type": self.headers.get("Content-Type", "")},
                    timeout=10,
                )
                status, body = response.status_code, response.content
                if status == 200:
                    answer = json.loads(body)
                    answer["id_token"] = proxy.alter(answer["id_token"])
                    body = json.dumps(answer).encode()
                self._answer(status, body, "application/json")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def alter(self, id_token: str) -> str:
        if self.mode == "pass":
            return id_token
        header, payload, signature = id_token.split(".")
        claims = json.loads(_b64decode(payload))
        if self.mode == "tamper":
            # Someone between the provider and kshare makes themselves an admin's address.
            claims["email"] = "ada@acme.example"
            claims["sub"] = "ada"
            return ".".join([header, _b64encode(json.dumps(claims).encode()), signature])
        now = int(time.time())
        if self.mode == "expired":
            claims.update(iat=now - 7200, exp=now - 3600)
        elif self.mode == "audience":
            claims.update(aud="another-app", azp="another-app")
        # Signed with the provider's own key: only the claims are wrong.
        return jwt.encode(
            claims, self.private_key, algorithm="RS256", headers={"kid": KEY_ID, "typ": "JWT"}
        )


@dataclass
class OidcProvider:
    issuer: str
    proxy: TokenProxy
    process: subprocess.Popen

    @property
    def discovery_url(self) -> str:
        return self.proxy.url + "/.well-known/openid-configuration"

    def kshare_settings(self, **overrides) -> dict:
        """``settings.KSHARE_OIDC`` for a kshare that uses this provider."""
        return {
            "discovery_url": self.discovery_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "name": "Acme Login",
            "scopes": "openid email profile",
            "name_claim": "name",
            "team_claim": "team",
            "groups_claim": "groups",
            "admin_groups": ["kshare-admins"],
            "organiser_groups": [],
            **overrides,
        }

    def disable(self, account: str) -> None:
        requests.post(f"{self.issuer}/__accounts/{account}/disable", timeout=10).raise_for_status()

    def wrong_state(self, on: bool) -> None:
        switch = "on" if on else "off"
        requests.post(f"{self.issuer}/__wrong_state/{switch}", timeout=10).raise_for_status()

    def stop(self) -> None:
        self.proxy.stop()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def provider_start(*, node: str, redirect_uri: str) -> OidcProvider:
    """Start ``provider.mjs`` on a free loopback port and the token proxy in front of it."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key))
    jwk.update(kid=KEY_ID, use="sig", alg="RS256")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    # A file, not a pipe: a pipe nobody reads would stop the provider once it fills.
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (lives as long as the provider)
    process = subprocess.Popen(  # noqa: S603 (node and a file of this repository)
        [node, str(PROVIDER_JS)],
        env={
            **os.environ,
            "OIDC_PROVIDER_MODULES": str(provider_modules()),
            "PORT": str(port),
            "ISSUER": issuer,
            "REDIRECT_URI": redirect_uri,
            "SIGNING_JWK": json.dumps(jwk),
            "ACCOUNTS": json.dumps(ACCOUNTS),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(issuer + "/.well-known/openid-configuration", timeout=2).raise_for_status()
            break
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                log.seek(0)
                output = log.read()
                raise RuntimeError(f"The test OpenID provider did not start:\n{output}") from None
            time.sleep(0.2)
    proxy = TokenProxy(provider_url=issuer, private_key=private_key)
    proxy.start()
    return OidcProvider(issuer=issuer, proxy=proxy, process=process)
