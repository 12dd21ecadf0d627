"""The channels' webhook URLs, encrypted at rest.

A chat webhook URL is a bearer credential (Slack, Teams and Google Chat put the secret in the
URL itself), so the database holds it sealed with Fernet (AES-128-CBC + HMAC-SHA256, from
``cryptography``). The key is not stored anywhere: it is derived from ``SECRET_KEY`` with HKDF
(SHA-256, its own salt and context), so a copy of the database alone reads nothing. Keys derived
from ``SECRET_KEY_FALLBACKS`` still open what they sealed, so rotating ``SECRET_KEY`` the Django
way (old key moved to the fallbacks) keeps every channel working; a channel sealed with a key
that is gone cannot be opened and has to be connected again (``SealBroken``).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SALT = b"kshare.chat.webhook-url"
INFO = b"kshare chat channel webhook URL v1"


class SealBroken(Exception):
    """A sealed URL that no current key opens (changed, or sealed with a key that is gone)."""


def _key(secret: str) -> bytes:
    derived = HKDF(algorithm=SHA256(), length=32, salt=SALT, info=INFO).derive(secret.encode())
    return base64.urlsafe_b64encode(derived)


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_key(secret)) for secret in secrets])


def url_seal(url: str) -> str:
    """``url`` encrypted with the key of the current ``SECRET_KEY`` (ASCII, for a text column)."""
    return _fernet().encrypt(url.encode()).decode("ascii")


def url_open(sealed: str) -> str:
    """The URL ``url_seal`` sealed; ``SealBroken`` when no current or fallback key opens it."""
    try:
        return _fernet().decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise SealBroken from exc
