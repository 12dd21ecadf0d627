"""The demo organisation: a believable company generated deterministically from a seed.

This module stays import-light (no models) so that ``kshare up`` can print the logins cheaply.
"""

from __future__ import annotations

from kshare.demo.content import COMPANY_DOMAIN

DEMO_PASSWORD = "kshare-demo"  # noqa: S105 — published on purpose: demo logins only.

ADMIN_EMAIL = f"admin@{COMPANY_DOMAIN}"
ORGANISER_EMAIL = f"organiser@{COMPANY_DOMAIN}"
MEMBER_EMAIL = f"member@{COMPANY_DOMAIN}"


def logins() -> list[tuple[str, str, str]]:
    """The demo's sign-in accounts as (e-mail, password, role)."""
    return [
        (ADMIN_EMAIL, DEMO_PASSWORD, "admin"),
        (ORGANISER_EMAIL, DEMO_PASSWORD, "organiser"),
        (MEMBER_EMAIL, DEMO_PASSWORD, "member"),
    ]
