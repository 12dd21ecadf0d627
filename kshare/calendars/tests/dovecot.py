"""A real IMAP server for the tests: Debian's dovecot (``make test`` installs dovecot-imapd),
started on a free loopback port with its own configuration in a temporary folder and one
mailbox user from a passwd-file. Mail is delivered with IMAP APPEND, as a mail server's
delivery agent would put it there."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "kshare@example.com", "imap-secret"

CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = kshare-test-{port}
log_path = {root}/dovecot.log
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
first_valid_uid = 1
{capability}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={group} home={root}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass
class Dovecot:
    port: int
    root: Path
    tls_port: int = 0  # IMAPS; the IMAP port then offers STARTTLS
    certificate: Path | None = None  # self-signed, for 127.0.0.1: trust it with SSL_CERT_FILE

    def url(self, folder: str = "INBOX", *, password: str = PASSWORD, scheme="imap") -> str:
        user, secret = quote(USER, safe=""), quote(password, safe="")
        port = self.tls_port if scheme == "imaps" else self.port
        return f"{scheme}://{user}:{secret}@127.0.0.1:{port}/{folder}"

    def imap(self) -> dict:
        """``settings.KSHARE_IMAP`` for this server."""
        from kshare import config

        imap = config.imap(self.url())
        assert imap is not None
        return imap

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            for raw in messages:
                typ, data = client.append(folder, None, None, raw)
                assert typ == "OK", data
        finally:
            client.logout()

    def subjects(self, folder: str) -> list[str]:
        """The Subject of every message in ``folder`` (none when it does not exist)."""
        import email
        import email.policy

        client = self.client()
        try:
            typ, _ = client.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return []
            _, data = client.uid("SEARCH", "ALL")
            found = []
            for uid in (data[0] or b"").split():
                _, parts = client.uid("FETCH", uid, "(BODY.PEEK[HEADER])")
                header = next(p[1] for p in parts if isinstance(p, tuple))
                parsed = email.message_from_bytes(header, policy=email.policy.default)
                found.append(str(parsed["Subject"]))
            return found
        finally:
            client.logout()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _certificate(root: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl, which `make test` installs with nginx)."""
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(  # noqa: S603 - Debian's openssl, our arguments
        [
            "/usr/bin/openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def dovecot_start(
    root: Path, *, tls: bool = False, capability: str = ""
) -> tuple[Dovecot, subprocess.Popen]:
    """Configure and start dovecot in ``root``; returns once it accepts connections. With
    ``tls`` it also listens for IMAPS and offers STARTTLS, with a self-signed certificate;
    ``capability`` replaces the CAPABILITY list it announces (a server without MOVE)."""
    if os.geteuid() == 0:
        # dovecot refuses to run its login and mail processes as root: Debian's own users.
        internal, login, mail_user = "dovecot", "dovenull", "dovecot"
    else:
        internal = login = mail_user = pwd.getpwuid(os.geteuid()).pw_name
    group = grp.getgrgid(pwd.getpwnam(mail_user).pw_gid).gr_name
    root.chmod(0o755)
    (root / "home").mkdir()
    shutil.chown(root / "home", mail_user, group)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    port = _free_port()
    tls_port, certificate, ssl = 0, None, "ssl = no"
    if tls:
        tls_port = _free_port()
        certificate, key = _certificate(root)
        ssl = f"ssl = yes\nssl_cert = <{certificate}\nssl_key = <{key}"
    config = root / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            root=root,
            port=port,
            tls_port=tls_port,
            ssl=ssl,
            capability=f"imap_capability = {capability}" if capability else "",
            internal=internal,
            login=login,
            mail_user=mail_user,
            group=group,
        )
    )
    process = subprocess.Popen(  # noqa: S603 - Debian's dovecot, our own configuration
        [DOVECOT, "-F", "-c", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            raise RuntimeError(f"dovecot stopped at start: {output} {log}"[-1500:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("dovecot did not listen within 20 s.") from None
            time.sleep(0.05)
    return Dovecot(port=port, root=root, tls_port=tls_port, certificate=certificate), process


def dovecot_stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
