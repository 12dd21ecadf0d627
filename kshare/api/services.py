"""Personal access tokens: creation (the secret is returned once) and revocation."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kshare.api.models import PREFIX_LENGTH, ApiToken, token_generate, token_hash
from kshare.people.models import Person

MAX_ACTIVE_TOKENS = 20


def token_create(*, person: Person, name: str, scope: str) -> tuple[ApiToken, str]:
    """A new token for ``person``; returns the row and the secret, which is never stored."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the token a name, e.g. the tool that uses it.")})
    if scope not in ApiToken.Scope.values:
        raise ValidationError({"scope": _("Choose read or write.")})
    active = ApiToken.objects.filter(person=person, revoked_at__isnull=True).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            ngettext(
                "You have %(count)d active token; revoke one you no longer use first.",
                "You have %(count)d active tokens; revoke one you no longer use first.",
                active,
            )
            % {"count": active}
        )
    raw = token_generate()
    token = ApiToken.objects.create(
        person=person,
        name=name[:100],
        scope=scope,
        prefix=raw[:PREFIX_LENGTH],
        token_hash=token_hash(raw),
    )
    return token, raw


def token_revoke(*, token: ApiToken) -> ApiToken:
    """Stop the token working at once; revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
