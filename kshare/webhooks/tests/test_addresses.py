"""Webhooks go to public addresses only (addresses.py, transport.py).

Receivers are real servers on loopback; loopback is refused unless a test allows it through the
allow-list setting, as an administrator would. DNS is the one outside service faked (by
replacing ``socket.getaddrinfo`` for a name under ``.test``): a resolver that answers differently
the second time cannot run here otherwise.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kshare.api.tests.helpers import ApiClient, token_create
from kshare.people.tests.factories import AdminFactory
from kshare.webhooks.addresses import AllowList, address_problem, host_literal
from kshare.webhooks.models import Webhook, WebhookDelivery
from kshare.webhooks.services import webhook_deliver, webhook_subscribe, webhooks_emit

pytestmark = pytest.mark.django_db

# Every way to name an internal address that a webhook URL could use: all refused.
REFUSED_URLS = [
    "http://127.0.0.1/",
    "http://127.1:8080/",
    "http://2130706433/",
    "http://0x7f.0.0.1/",
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://017700000001/",
    "http://localhost:8000/hook",
    "http://api.localhost/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://[2002:7f00:1::]/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://10.0.0.5/",
    "http://172.16.3.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://168.63.129.16/machine",
    "http://100.100.100.200/latest/meta-data/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[fec0::1]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://198.18.0.1/",
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001::200e"]


# --- the rule itself ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("::ffff:7f00:1", "::ffff:127.0.0.1"),
        ("example.com", None),
        ("08.0.0.1", None),
        ("256.0.0.1", None),
        ("1.2.3.4.5", None),
    ],
)
def test_hosts_are_read_as_the_c_library_reads_them(host, address):
    expected = ipaddress.ip_address(address) if address else None
    assert host_literal(host) == expected


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address):
    assert address_problem(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("2002:7f00:1::", "a loopback address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("::ffff:169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("168.63.129.16", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("10.0.0.1", "a private network address"),
        ("fd00::1", "a private network address"),
        ("100.64.0.1", "a private network address"),
        ("224.0.0.1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104 (an address under test)
        ("240.0.0.1", "a reserved address"),
    ],
)
def test_internal_addresses_are_named(address, problem):
    assert address_problem(ipaddress.ip_address(address)) == problem


def test_allow_list_entries():
    allow = AllowList.parse(["chat.internal", "10.1.2.3:8080", "[fd12::5]:443", "10.20.0.0/16"])
    ip = ipaddress.ip_address
    assert allow.allows(host="CHAT.internal.", address=ip("10.9.9.9"), port=1) is True
    assert allow.allows(host="x", address=ip("10.1.2.3"), port=8080) is True
    assert allow.allows(host="x", address=ip("10.1.2.3"), port=8081) is False
    assert allow.allows(host="x", address=ip("fd12::5"), port=443) is True
    assert allow.allows(host="x", address=ip("10.20.200.1"), port=80) is True
    assert allow.allows(host="x", address=ip("::ffff:10.20.0.1"), port=80) is True
    assert allow.allows(host="x", address=ip("10.21.0.1"), port=80) is False
    for bad in ["http://x", "a b", "x:99999", "10.0.0.0/33", "[::1]x"]:
        with pytest.raises(ValueError):
            AllowList.parse([bad])


def test_a_bad_allow_list_stops_start_up():
    import os
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "kshare.cli", "check"],
        env={**os.environ, "KSHARE_WEBHOOK_ALLOW_HOSTS": "10.0.0.0/8, http://intranet"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stderr) == (
        2,
        "kshare: KSHARE_WEBHOOK_ALLOW_HOSTS: 'http://intranet' is not a host name, an IP "
        "address or a network such as 10.0.0.0/8 (each optionally with :port).\n",
    )


# --- when a subscription is made ------------------------------------------------------------------


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_internal_addresses_are_refused_when_subscribing(url):
    with pytest.raises(ValidationError) as exc:
        webhook_subscribe(by=AdminFactory(), url=url, events=["session.held"])
    [message] = exc.value.message_dict["url"]
    assert message.startswith("kshare does not send webhooks to internal addresses: ")
    assert message.endswith(
        " Use the receiver's public address, or ask an administrator to allow it "
        "(KSHARE_WEBHOOK_ALLOW_HOSTS)."
    )
    assert not Webhook.objects.exists()


def test_the_message_says_why():
    with pytest.raises(ValidationError) as exc:
        webhook_subscribe(by=AdminFactory(), url="http://2130706433/x", events=["session.held"])
    assert exc.value.message_dict["url"] == [
        "kshare does not send webhooks to internal addresses: 2130706433 is a loopback address "
        "(127.0.0.1). Use the receiver's public address, or ask an administrator to allow it "
        "(KSHARE_WEBHOOK_ALLOW_HOSTS)."
    ]


def test_the_message_says_why_in_the_readers_language():
    with translation.override("de"), pytest.raises(ValidationError) as exc:
        webhook_subscribe(by=AdminFactory(), url="http://2130706433/x", events=["session.held"])
    [message] = exc.value.message_dict["url"]
    assert "2130706433 ist eine Loopback-Adresse (127.0.0.1)." in message
    with translation.override("fr"), pytest.raises(ValidationError) as exc:
        webhook_subscribe(by=AdminFactory(), url="http://[::1]/x", events=["session.held"])
    [message] = exc.value.message_dict["url"]
    assert "::1 est une adresse de bouclage." in message


def test_the_form_and_the_api_refuse_with_a_clear_error(client):
    admin = AdminFactory()
    client.force_login(admin)
    page = client.post(
        "/webhooks/", {"url": "http://169.254.169.254/latest/", "events": ["session.held"]}
    )
    assert page.status_code == 200
    assert page.context["form"].errors["url"] == [
        "kshare does not send webhooks to internal addresses: 169.254.169.254 is a cloud "
        "metadata address. Use the receiver's public address, or ask an administrator to allow "
        "it (KSHARE_WEBHOOK_ALLOW_HOSTS)."
    ]
    response = ApiClient(token_create(admin)).post(
        "webhooks", {"url": "http://[::ffff:10.0.0.1]:8080/", "events": ["session.held"]}
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "url": [
            "kshare does not send webhooks to internal addresses: ::ffff:10.0.0.1 is a private "
            "network address. Use the receiver's public address, or ask an administrator to "
            "allow it (KSHARE_WEBHOOK_ALLOW_HOSTS)."
        ]
    }
    assert not Webhook.objects.exists()


def test_the_allow_list_lets_internal_hosts_through_but_never_metadata(settings):
    settings.KSHARE_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1", "10.0.0.0/8", "169.254.0.0/16"]
    admin = AdminFactory()
    for url in ("http://127.0.0.1:9/", "http://127.0.0.1:8080/x", "http://10.1.2.3/"):
        webhook_subscribe(by=admin, url=url, events=["session.held"])
    for url in ("http://169.254.169.254/", "http://192.168.0.1/", "http://[::1]/"):
        with pytest.raises(ValidationError):
            webhook_subscribe(by=admin, url=url, events=["session.held"])
    assert Webhook.objects.count() == 3


def test_a_name_unknown_to_dns_is_accepted_and_checked_at_delivery():
    hook = webhook_subscribe(
        by=AdminFactory(), url="https://hooks.example.invalid/in", events=["session.held"]
    )
    assert hook.url == "https://hooks.example.invalid/in"


# --- at delivery --------------------------------------------------------------------------------


class Receiver:
    """A loopback HTTP(S) server that records what reaches it."""

    def __init__(self, *, tls: ssl.SSLContext | None = None, status: int = 204) -> None:
        self.got: list[dict] = []
        self.server_names: list[str | None] = []
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                state.got.append({"host": self.headers["Host"], "body": json.loads(body)})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def deliver(url: str, settings, *, allow: list[str]) -> WebhookDelivery:
    """Subscribe (allowed), then deliver one event under the allow-list ``allow``."""
    settings.KSHARE_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1", "hooks.test", "rebind.test", "mixed.test"]
    webhook_subscribe(by=AdminFactory(), url=url, events=["session.held"])
    settings.KSHARE_WEBHOOK_ALLOW_HOSTS = allow
    webhooks_emit("session.held", {"hello": "world"})
    delivery = WebhookDelivery.objects.get()
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    return delivery


@pytest.fixture
def fake_dns(monkeypatch):
    """Names under ``.test`` answer what the test says; ``calls`` records each lookup."""
    answers: dict[str, list[list[str]]] = {}
    calls: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".test"):
            calls.append(host)
            queue = answers[host]
            addresses = queue.pop(0) if len(queue) > 1 else queue[0]
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    socket.IPPROTO_TCP,
                    "",
                    (a, port),
                )
                for a in addresses
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers, calls


def test_loopback_allowed_by_the_test_is_delivered(receiver, settings):
    delivery = deliver(f"http://127.0.0.1:{receiver.port}/in", settings, allow=["127.0.0.1"])
    assert (delivery.status, delivery.response_status, delivery.last_error) == ("sent", 204, "")
    assert len(receiver.got) == 1


def test_an_address_refused_at_delivery_never_connects(receiver, settings):
    """Allowed when subscribed, no longer allowed now: refused before any connection."""
    delivery = deliver(f"http://127.0.0.1:{receiver.port}/in", settings, allow=[])
    assert (delivery.status, delivery.response_status, delivery.last_error) == (
        "queued",
        None,
        "address not allowed",
    )
    assert receiver.got == []


def test_dns_rebinding_connects_to_the_address_that_was_checked(receiver, settings, fake_dns):
    """The name answers 127.0.0.1 (allowed for this port) to the check and an internal
    address afterwards: the one lookup's address is used, with the name as Host."""
    answers, calls = fake_dns
    answers["rebind.test"] = [["127.0.0.1"], ["10.255.255.1"]]
    url = f"http://rebind.test:{receiver.port}/in"
    settings.KSHARE_WEBHOOK_ALLOW_HOSTS = [f"127.0.0.1:{receiver.port}"]
    webhook_subscribe(by=AdminFactory(), url=url, events=["session.held"])
    answers["rebind.test"] = [["127.0.0.1"], ["10.255.255.1"]]
    calls.clear()
    webhooks_emit("session.held", {"hello": "world"})
    delivery = WebhookDelivery.objects.get()
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("sent", "")
    assert calls == ["rebind.test"]
    assert [g["host"] for g in receiver.got] == [f"rebind.test:{receiver.port}"]


def test_a_name_answering_a_public_and_an_internal_address_is_refused(receiver, settings, fake_dns):
    answers, _ = fake_dns
    answers["mixed.test"] = [["93.184.216.34", "127.0.0.1"]]
    delivery = deliver(f"http://mixed.test:{receiver.port}/", settings, allow=[])
    assert delivery.last_error == "address not allowed"
    assert receiver.got == []


def test_a_name_rebound_to_metadata_is_refused_at_delivery(settings, fake_dns):
    answers, _ = fake_dns
    answers["hooks.test"] = [["93.184.216.34"]]
    settings.KSHARE_WEBHOOK_ALLOW_HOSTS = []
    webhook_subscribe(by=AdminFactory(), url="http://hooks.test/in", events=["session.held"])
    answers["hooks.test"] = [["169.254.169.254"]]
    webhooks_emit("session.held", {})
    delivery = WebhookDelivery.objects.get()
    webhook_deliver(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.last_error == "address not allowed"


# --- https: SNI and the certificate follow the name, not the address ------------------------------


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl (Debian's openssl package) is needed to make a test certificate")
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(  # noqa: S603
        [  # noqa: S607 (Debian's openssl on PATH)
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch):
    cert, key = _certificate(tmp_path, "hooks.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    # The client trusts this certificate as a CA (OpenSSL reads SSL_CERT_FILE).
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    server = Receiver(tls=context)
    yield server, tmp_path
    server.close()


def test_https_to_the_checked_address_uses_the_name_for_sni_and_the_certificate(
    tls_receiver, settings, fake_dns
):
    server, _ = tls_receiver
    answers, _ = fake_dns
    answers["hooks.test"] = [["127.0.0.1"]]
    delivery = deliver(f"https://hooks.test:{server.port}/in", settings, allow=["hooks.test"])
    assert (delivery.status, delivery.last_error) == ("sent", "")
    assert server.server_names == ["hooks.test"]
    assert [g["host"] for g in server.got] == [f"hooks.test:{server.port}"]


def test_a_certificate_for_another_name_is_a_tls_error(tls_receiver, settings, fake_dns):
    server, _ = tls_receiver
    answers, _ = fake_dns
    answers["other.test"] = [["127.0.0.1"]]
    delivery = deliver(f"https://other.test:{server.port}/in", settings, allow=["other.test"])
    assert (delivery.status, delivery.last_error) == ("queued", "TLS error")
    assert server.got == []


# --- failures are reported as a class, never as the socket's text ---------------------------------


def test_failure_classes_are_all_a_delivery_log_shows(settings, client):
    """Refused port, silent server, HTTP 500, unknown name, refused address: five rows, five
    generic classes, and the pages, the admin and the API show nothing more."""
    settings.KSHARE_WEBHOOK_TIMEOUT = 1
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts, never answers
    failing = Receiver(status=500)
    try:
        settings.KSHARE_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
        admin = AdminFactory()
        urls = {
            f"http://127.0.0.1:{closed_port}/": "connection refused",
            f"http://127.0.0.1:{silent.getsockname()[1]}/": "timeout",
            f"http://127.0.0.1:{failing.port}/": "HTTP 500",
            "http://nowhere.example.invalid/": "DNS lookup failed",
            "http://127.0.0.2/": "address not allowed",  # allowed below only for 127.0.0.1
        }
        settings.KSHARE_WEBHOOK_ALLOW_HOSTS = ["127.0.0.0/8"]
        for url in urls:
            webhook_subscribe(by=admin, url=url, events=["session.held"])
        settings.KSHARE_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
        webhooks_emit("session.held", {})
        for delivery in WebhookDelivery.objects.all():
            webhook_deliver(delivery_id=delivery.pk)
    finally:
        silent.close()
        failing.close()
    shown = dict(WebhookDelivery.objects.values_list("webhook__url", "last_error"))
    assert shown == urls

    client.force_login(admin)
    pages = [client.get(f"/webhooks/{hook.pk}/").text for hook in Webhook.objects.all()]
    pages.append(client.get("/admin/webhooks/webhookdelivery/").text)
    api = ApiClient(token_create(admin))
    for hook in Webhook.objects.all():
        pages.append(json.dumps(api.get(f"webhooks/{hook.pk}/deliveries").json()))
    text = "\n".join(pages)
    for leak in (
        "Errno",
        "Connection refused",
        "timed out",
        "Name or service",
        "URLError",
        "OSError",
    ):
        assert leak not in text
    assert all(failure in text for failure in urls.values())
