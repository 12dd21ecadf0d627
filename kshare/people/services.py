"""Every write to people, teams, skills and account invitations."""

from __future__ import annotations

import csv
import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TextIO

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.color import no_style
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.utils.text import slugify
from django.utils.timezone import now
from django.utils.translation import gettext, ngettext

from kshare.audit.models import AuditEntry
from kshare.audit.services import audit_record
from kshare.core.language import is_supported
from kshare.core.signals import rows_saved_announce
from kshare.core.versioned import Versioned
from kshare.people import emails
from kshare.people.models import AccountInvite, Person, Role, Skill, Team
from kshare.people.offices import office_region_error
from kshare.people.parsing import SkillsError, skills_parse, timezone_is_known
from kshare.people.signals import people_imported
from kshare.tags.models import Tag
from kshare.tags.services import TagError, tag_names_parse, tag_slug, tags_get_or_create

EMAIL_MAX_LENGTH: int = Person._meta.get_field("email").max_length or 254
DISPLAY_NAME_MAX_LENGTH: int = Person._meta.get_field("display_name").max_length or 120
TEAM_NAME_MAX_LENGTH: int = Team._meta.get_field("name").max_length or 100
BIO_MAX_LENGTH: int = Person._meta.get_field("bio").max_length or 2000
BULK_BATCH = 2_000  # rows per INSERT in the bulk paths (SQLite's variable limit allows it)


def email_normalise(email: str) -> str:
    """E-mail addresses are stored lower-case, so that uniqueness and sign-in ignore case."""
    return email.strip().lower()


# --- Account invitations -------------------------------------------------------------------


class InviteUnusable(Exception):
    """The sign-up link cannot be used; ``reason`` is unknown, used, expired or account_exists."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def account_invite_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def account_invite_create(
    *, by: Person, email: str, team: Team | None = None, role: str = Role.MEMBER
) -> tuple[AccountInvite, str]:
    """Invite ``email`` to sign up and mail them the link; returns the invite and its token.

    Only a hash of the token is stored. An earlier open invitation for the same address is
    replaced. Organisers invite members; only admins invite organisers and admins. An address
    that already has an account raises ``ValidationError``. The mail is queued in the outbox in
    the same transaction, which sends it and retries it while the mail server is away.
    """
    if not by.is_organiser:
        raise PermissionDenied(gettext("Only organisers and admins can invite people."))
    if role not in Role.values:
        raise ValidationError(
            gettext("Unknown role “%(role)s”."), code="role", params={"role": role}
        )
    if role != Role.MEMBER and not by.is_admin:
        raise PermissionDenied(gettext("Only admins can invite organisers and admins."))
    email = email_normalise(email)
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError(gettext("That e-mail address is too long."), code="email")
    validate_email(email)
    if Person.objects.filter(email__iexact=email).exists():
        raise ValidationError(
            gettext("%(email)s already has an account."), code="exists", params={"email": email}
        )
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        AccountInvite.objects.filter(email__iexact=email, accepted_at__isnull=True).delete()
        invite = AccountInvite.objects.create(
            email=email,
            team=team,
            role=role,
            token_hash=account_invite_token_hash(token),
            invited_by=by,
            expires_at=now() + timedelta(days=settings.KSHARE_ACCOUNT_INVITE_DAYS),
        )
        emails.account_invite_send(invite=invite, token=token)
    return invite, token


def account_invite_check(invite: AccountInvite | None) -> AccountInvite:
    """``invite`` if its link can still be used, else ``InviteUnusable`` saying why."""
    if invite is None:
        raise InviteUnusable("unknown")
    if invite.accepted_at is not None:
        raise InviteUnusable("used")
    if invite.expires_at <= now():
        raise InviteUnusable("expired")
    if Person.objects.filter(email__iexact=invite.email).exists():
        raise InviteUnusable("account_exists")
    return invite


def person_name_check(*, display_name: str, timezone: str) -> str:
    """The display name as stored (spaces collapsed, cut to the column), or ``ValidationError``
    for a blank name or an unknown timezone: the rule of every path that creates a person."""
    display_name = " ".join(display_name.split())
    if not display_name:
        raise ValidationError(gettext("Enter your name."), code="display_name")
    if not timezone_is_known(timezone):
        raise ValidationError(
            gettext("Unknown timezone “%(tz)s”."), code="timezone", params={"tz": timezone}
        )
    return display_name[:DISPLAY_NAME_MAX_LENGTH]


def account_invite_accept(
    *, token: str, display_name: str, password: str, timezone: str = "UTC"
) -> Person:
    """Create the invited person's account and mark the invitation used.

    Raises ``InviteUnusable`` for an unknown, used or expired token, and ``ValidationError``
    for a blank name, an unknown timezone or a password Django's validators refuse.
    """
    display_name = person_name_check(display_name=display_name, timezone=timezone)
    with transaction.atomic():
        invite = account_invite_check(
            AccountInvite.objects.select_for_update()
            .filter(token_hash=account_invite_token_hash(token))
            .first()
        )
        person = Person(
            email=email_normalise(invite.email),
            display_name=display_name,
            team=invite.team,
            role=invite.role,
            timezone=timezone,
        )
        validate_password(password, user=person)
        person.set_password(password)
        person.save()
        invite.accepted_at = now()
        invite.person = person
        invite.save(update_fields=["accepted_at", "person"])
    return person


# --- Profile -------------------------------------------------------------------------------


def profile_update(
    *,
    person: Person,
    display_name: str,
    team: Team | None,
    timezone: str,
    bio: str = "",
    interests: Iterable[str] = (),
    office_country: str = "",
    office_subdivision: str = "",
    language: str | None = None,
) -> Person:
    """Save the profile fields a person edits themselves; ``interests`` are tag names;
    ``language`` (None: unchanged) a code of settings.LANGUAGES or "" (the browser's).

    ``office_country``/``office_subdivision`` name the office's public-holiday calendar
    (``kshare.people.offices``); a calendar that does not exist is a ValidationError.
    """
    display_name = " ".join(display_name.split())
    if not display_name:
        raise ValidationError(gettext("Enter a display name."), code="display_name")
    if not timezone_is_known(timezone):
        raise ValidationError(
            gettext("Unknown timezone “%(tz)s”."), code="timezone", params={"tz": timezone}
        )
    region_error = office_region_error(office_country, office_subdivision)
    if region_error:
        raise ValidationError(region_error, code="office_region")
    if language is not None:
        if language and not is_supported(language):
            raise ValidationError(
                "Unknown language “%(code)s”.", code="language", params={"code": language}
            )
        person.language = language
    person.display_name = display_name[:DISPLAY_NAME_MAX_LENGTH]
    person.team = team
    person.timezone = timezone
    person.office_country, person.office_subdivision = office_country, office_subdivision
    person.bio = bio[:BIO_MAX_LENGTH]
    with transaction.atomic():
        person.save(
            update_fields=[
                "display_name",
                "team",
                "timezone",
                "language",
                "office_country",
                "office_subdivision",
                "bio",
            ]
        )
        person.interests.set(tags_get_or_create(names=interests))
    return person


def person_language_set(*, person: Person, language: str) -> Person:
    """Remember ``language`` (a code of settings.LANGUAGES, or "" for the browser's) for
    pages and mail; an unknown code is a ValidationError."""
    if language and not is_supported(language):
        raise ValidationError(
            "Unknown language “%(code)s”.", code="language", params={"code": language}
        )
    if person.language != language:
        person.language = language
        person.save(update_fields=["language"])
    return person


# The expertise directory's "Common skills" (a count over every skill of every active person)
# is cached under a version token (kshare/core/versioned.py); a change of skills, people or tags
# replaces it (here for the bulk writes, people/receivers.py for the others).
SKILL_COUNTS = Versioned("people:skill-counts")


def skill_counts_changed() -> None:
    """Make the cached skill counts stale (``kshare.core.versioned``)."""
    SKILL_COUNTS.changed()


def skill_level_check(*, name: str, level: int) -> None:
    """A skill's level is 1, 2 or 3 (``ValidationError`` naming the skill otherwise)."""
    if level not in (1, 2, 3):
        raise ValidationError(
            gettext("The level of “%(name)s” must be 1, 2 or 3."),
            code="level",
            params={"name": name},
        )


def skills_set(*, person: Person, skills: list[tuple[str, int]]) -> list[Skill]:
    """Replace ``person``'s skills with ``skills`` (tag name, level 1-3), creating tags."""
    for name, level in skills:
        skill_level_check(name=name, level=level)
    with transaction.atomic():
        tags = tags_get_or_create(names=[name for name, _ in skills])
        levels = {tag.pk: level for tag, (_, level) in zip(tags, skills, strict=True)}
        Skill.objects.filter(person=person).exclude(tag_id__in=levels).delete()
        Skill.objects.bulk_create(
            [Skill(person=person, tag_id=tag_id, level=level) for tag_id, level in levels.items()],
            update_conflicts=True,
            unique_fields=["person", "tag"],
            update_fields=["level"],
        )
        skill_counts_changed()
    return list(Skill.objects.filter(person=person).select_related("tag"))


# --- Bulk creation ------------------------------------------------------------------------


@transaction.atomic
def people_create_bulk(
    *,
    people: Sequence[Person],
    skills: Sequence[Skill] = (),
    interests: Sequence[tuple[int, int]] = (),
) -> list[Person]:
    """Create many people at once, with their skills and interests (``(person id, tag id)``).

    The rules of the one-person paths, checked for every row: e-mail normalised
    (``email_normalise``), display name and timezone (``person_name_check``), office region
    (``office_region_error``), skill levels (``skill_level_check``); then the cached skill counts
    are made stale (``skill_counts_changed``). ``people`` may carry their ids (the demo plans
    them): the id sequence is then moved past them. Passwords are the caller's (hashed, or
    unusable). Announces nothing but the saved rows (``rows_saved`` for ``Person``, on commit:
    search indexes them with their skills); no mail. ``skills`` and ``interests`` refer to the
    people by id, so people without preset ids take none.
    """
    regions: dict[tuple[str, str], str | None] = {}
    for person in people:
        person.email = email_normalise(person.email)
        person.display_name = person_name_check(
            display_name=person.display_name, timezone=person.timezone
        )
        region = (person.office_country, person.office_subdivision)
        if region not in regions:
            regions[region] = office_region_error(*region)
        error = regions[region]
        if error:
            raise ValidationError(error, code="office_region")
    for skill in skills:
        skill_level_check(name=str(skill.tag_id), level=skill.level)
    preset = bool(people) and all(person.pk is not None for person in people)
    Person.objects.bulk_create(people, batch_size=BULK_BATCH)
    if preset:
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Person]):
                cursor.execute(sql)
    elif any(p.pk is None for p in people):  # backends that cannot return ids from a bulk insert
        ids = dict(
            Person.objects.filter(email__in=[p.email for p in people]).values_list("email", "pk")
        )
        for p in people:
            p.pk = ids[p.email]
    Skill.objects.bulk_create(skills, batch_size=BULK_BATCH)
    if skills:
        skill_counts_changed()
    Interest = Person.interests.through
    Interest.objects.bulk_create(
        [Interest(person_id=person_id, tag_id=tag_id) for person_id, tag_id in interests],
        batch_size=BULK_BATCH,
    )
    rows_saved_announce(model=Person, ids=[p.pk for p in people])
    return list(people)


# --- CSV import ----------------------------------------------------------------------------

IMPORT_COLUMNS = ("email", "display_name", "team", "timezone", "role", "skills", "interests")
IMPORT_REQUIRED = ("email", "display_name")
IMPORT_MAX_FIELD = 10_000  # characters; anything longer is a broken file, not a profile


@dataclass(frozen=True)
class ImportProblem:
    """One reason a file cannot be imported. ``row`` counts like a spreadsheet: header = 1."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" if self.row is not None else "file"
        return (
            f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"
        )


class PeopleImportError(Exception):
    """The file has problems; nothing was imported."""

    def __init__(self, errors: list[ImportProblem]) -> None:
        self.errors = errors
        super().__init__(self.summary)

    @property
    def rows_with_errors(self) -> int:
        return len({e.row for e in self.errors if e.row is not None})

    @property
    def summary(self) -> str:
        n = self.rows_with_errors
        if n == 0:
            return gettext("Nothing was imported: the file cannot be read.")
        return ngettext(
            "Nothing was imported: %(count)s row has errors.",
            "Nothing was imported: %(count)s rows have errors.",
            n,
        ) % {"count": n}


@dataclass
class ImportReport:
    people: int = 0
    teams_created: int = 0
    tags_created: int = 0
    emails: list[str] = field(default_factory=list)


@dataclass
class _Row:
    number: int
    email: str
    display_name: str
    team: str
    timezone: str
    role: str
    skills: list[tuple[str, int]]
    interests: list[str]


def _read_rows(file: TextIO) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the data rows with their spreadsheet row numbers (blank lines count)."""
    reader = csv.reader(file)
    rows: list[tuple[int, list[str]]] = []
    number = 0
    header: list[str] | None = None
    try:
        for number, values in enumerate(reader, start=1):
            if header is None:
                header = values
            else:
                rows.append((number, values))
    except UnicodeDecodeError as exc:
        raise PeopleImportError(
            [
                ImportProblem(
                    None,
                    "",
                    gettext(
                        "the file is not UTF-8 text (byte %(byte)s of a block near row "
                        "%(row)s cannot be read); save it as “CSV UTF-8” and try again"
                    )
                    % {"byte": exc.start, "row": number + 1},
                )
            ]
        ) from exc
    except csv.Error as exc:
        raise PeopleImportError(
            [
                ImportProblem(
                    number + 1,
                    "",
                    gettext("this row cannot be read as CSV (%(error)s)") % {"error": exc},
                )
            ]
        ) from exc
    if header is None or not any(v.strip() for v in header):
        raise PeopleImportError([ImportProblem(None, "", gettext("the file is empty"))])
    return header, rows


def _check_header(header: list[str]) -> list[str]:
    columns = [h.strip().lower().lstrip("\ufeff") for h in header]
    problems: list[ImportProblem] = []
    seen: set[str] = set()
    for column in columns:
        if column not in IMPORT_COLUMNS:
            problems.append(
                ImportProblem(
                    1,
                    column[:40] or gettext("(blank)"),
                    gettext("unknown column; the columns are %(columns)s")
                    % {"columns": ", ".join(IMPORT_COLUMNS)},
                )
            )
        elif column in seen:
            problems.append(ImportProblem(1, column, gettext("this column appears twice")))
        seen.add(column)
    for column in IMPORT_REQUIRED:
        if column not in seen:
            problems.append(ImportProblem(1, column, gettext("required column is missing")))
    if problems:
        raise PeopleImportError(problems)
    return columns


def _check_row(
    number: int, columns: list[str], values: list[str], problems: list[ImportProblem]
) -> _Row | None:
    def problem(column: str, message: str) -> None:
        problems.append(ImportProblem(number, column, message))

    before = len(problems)
    too_long = gettext("is longer than %(max)s characters")
    required = gettext("is required")
    bad: set[str] = set()  # columns already reported: no second message about the same cell
    if len(values) > len(columns) and any(v.strip() for v in values[len(columns) :]):
        problem(
            "",
            gettext("the row has %(values)s values but the header names %(columns)s columns")
            % {"values": len(values), "columns": len(columns)},
        )
    cells = dict(zip(columns, values, strict=False))
    for column, value in cells.items():
        if "\x00" in value:
            problem(column, gettext("contains a NUL character"))
        elif len(value) > IMPORT_MAX_FIELD:
            problem(column, too_long % {"max": IMPORT_MAX_FIELD})
        else:
            continue
        cells[column] = ""
        bad.add(column)

    email = email_normalise(cells.get("email", ""))
    if "email" in bad:
        pass
    elif not email:
        problem("email", required)
    elif len(email) > EMAIL_MAX_LENGTH:
        problem("email", too_long % {"max": EMAIL_MAX_LENGTH})
    else:
        try:
            validate_email(email)
        except ValidationError:
            problem(
                "email",
                gettext("'%(email)s' is not a valid e-mail address") % {"email": email[:80]},
            )

    display_name = " ".join(cells.get("display_name", "").split())
    if "display_name" in bad:
        pass
    elif not display_name:
        problem("display_name", required)
    elif len(display_name) > DISPLAY_NAME_MAX_LENGTH:
        problem("display_name", too_long % {"max": DISPLAY_NAME_MAX_LENGTH})

    team = " ".join(cells.get("team", "").split())
    if len(team) > TEAM_NAME_MAX_LENGTH:
        problem("team", too_long % {"max": TEAM_NAME_MAX_LENGTH})
    elif team and not slugify(team):
        problem("team", gettext("'%(team)s' needs at least one letter or digit") % {"team": team})

    tz = cells.get("timezone", "").strip() or "UTC"
    if not timezone_is_known(tz):
        problem("timezone", gettext("unknown timezone '%(tz)s'") % {"tz": tz[:64]})

    role = cells.get("role", "").strip().lower() or Role.MEMBER
    if role not in Role.values:
        problem(
            "role",
            gettext("unknown role '%(role)s'; use member, organiser or admin")
            % {"role": role[:40]},
        )

    skills: list[tuple[str, int]] = []
    try:
        skills = skills_parse(cells.get("skills", ""))
    except SkillsError as exc:
        problem("skills", str(exc))

    interests: list[str] = []
    try:
        interests = tag_names_parse(cells.get("interests", ""))
    except TagError as exc:
        problem("interests", str(exc)[:1].lower() + str(exc)[1:])

    if len(problems) > before:
        return None
    return _Row(number, email, display_name, team, tz, role, skills, interests)


def _existing_emails(emails: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(emails), 900):  # stay under SQLite's bound-parameter limit
        chunk = emails[start : start + 900]
        found.update(
            e.lower()
            for e in Person.objects.filter(email__in=chunk).values_list("email", flat=True)
        )
    return found


def people_import_csv(
    *, file: TextIO, progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Create everyone listed in a CSV file, or no one.

    Columns (header required, any order): email, display_name (both required), team (created
    when missing), timezone (default UTC), role (member/organiser/admin), skills
    ("python:3; sql:2") and interests ("ml; data"). Every row is checked first; any problem
    raises ``PeopleImportError`` with all of them and nothing is written. People get an
    unusable password: they choose one through "forgot password" or an invitation.
    ``progress(done, total)`` is called while rows are checked and once at the end.
    """
    header, raw_rows = _read_rows(file)
    columns = _check_header(header)
    raw_rows = [(n, values) for n, values in raw_rows if any(v.strip() for v in values)]
    total = len(raw_rows)
    problems: list[ImportProblem] = []
    rows: list[_Row] = []
    first_row_of: dict[str, int] = {}
    step = max(1, total // 100)
    for index, (number, values) in enumerate(raw_rows, start=1):
        row = _check_row(number, columns, values, problems)
        if row is not None:
            if row.email in first_row_of:
                problems.append(
                    ImportProblem(
                        number,
                        "email",
                        gettext("'%(email)s' is also on row %(row)s")
                        % {"email": row.email, "row": first_row_of[row.email]},
                    )
                )
            else:
                first_row_of[row.email] = number
                rows.append(row)
        if progress and index % step == 0:
            progress(index, total)
    if total == 0 and not problems:
        problems.append(ImportProblem(None, "", gettext("the file has a header but no people")))
    existing = _existing_emails(list(first_row_of))
    for row in rows:
        if row.email in existing:
            problems.append(
                ImportProblem(
                    row.number,
                    "email",
                    gettext("'%(email)s' already has an account") % {"email": row.email},
                )
            )
    if problems:
        problems.sort(key=lambda p: (p.row or 0, _column_order(p.column)))
        raise PeopleImportError(problems)

    report = _people_insert(rows)
    # Bulk inserts send no post_save: say so (the recommender marks itself stale).
    people_imported.send(sender=Person, report=report)
    if progress:
        progress(total, total)
    return report


def _column_order(column: str) -> int:
    return IMPORT_COLUMNS.index(column) if column in IMPORT_COLUMNS else -1


@transaction.atomic
def _people_insert(rows: list[_Row]) -> ImportReport:
    report = ImportReport()
    # Teams: match existing ones by slug (so "Data Science" finds "data science").
    team_slugs = {slugify(r.team)[:100]: r.team for r in reversed(rows) if r.team}
    teams = {t.slug: t for t in Team.objects.filter(slug__in=list(team_slugs))}
    missing_teams = [
        Team(name=name, slug=slug) for slug, name in team_slugs.items() if slug not in teams
    ]
    # A new team whose name is taken under another slug cannot be created: reuse that team.
    taken = {
        t.name.lower(): t for t in Team.objects.filter(name__in=[t.name for t in missing_teams])
    }
    for team in list(missing_teams):
        if team.name.lower() in taken:
            teams[team.slug] = taken[team.name.lower()]
            missing_teams.remove(team)
    Team.objects.bulk_create(missing_teams)
    report.teams_created = len(missing_teams)
    teams.update({t.slug: t for t in Team.objects.filter(slug__in=[t.slug for t in missing_teams])})

    slug_of: dict[str, str] = {}  # tag_slug is slow enough to matter over 5,000 rows
    for row in rows:
        for name in [name for name, _ in row.skills] + row.interests:
            if name not in slug_of:
                slug_of[name] = tag_slug(name)
    tag_names: dict[str, str] = {}
    for name, slug in slug_of.items():
        tag_names.setdefault(slug, name)
    tags_before = Tag.objects.count()
    tags = {tag.slug: tag for tag in tags_get_or_create(names=tag_names.values())}
    report.tags_created = Tag.objects.count() - tags_before

    people = [
        Person(
            email=row.email,
            display_name=row.display_name[:DISPLAY_NAME_MAX_LENGTH],
            team=teams[slugify(row.team)[:100]] if row.team else None,
            timezone=row.timezone,
            role=row.role,
            # What make_password(None) stores, without its slow per-character randomness.
            password=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20),
        )
        for row in rows
    ]
    Person.objects.bulk_create(people, batch_size=500)
    if any(p.pk is None for p in people):  # backends that cannot return ids from a bulk insert
        ids = dict(
            Person.objects.filter(email__in=[p.email for p in people]).values_list("email", "pk")
        )
        for p in people:
            p.pk = ids[p.email]
    Skill.objects.bulk_create(
        [
            Skill(person=person, tag=tags[slug_of[name]], level=level)
            for person, row in zip(people, rows, strict=True)
            for name, level in row.skills
        ],
        batch_size=1000,
    )
    skill_counts_changed()
    Interest = Person.interests.through
    Interest.objects.bulk_create(
        [
            Interest(person_id=person.pk, tag_id=tags[slug_of[name]].pk)
            for person, row in zip(people, rows, strict=True)
            for name in row.interests
        ],
        batch_size=1000,
    )
    # Bulk rows send no post_save: announce them, so search lists the imported people.
    rows_saved_announce(model=Person, ids=[p.pk for p in people])
    report.people = len(people)
    report.emails = [p.email for p in people]
    audit_record(
        action=AuditEntry.Action.IMPORT,
        target_type="people.person",
        target_label="people imported from CSV",
        changes={
            "people": report.people,
            "teams_created": report.teams_created,
            "emails": report.emails,
        },
    )
    return report


# --- Single sign-on ------------------------------------------------------------------------


class SsoRefused(Exception):
    """A sign-in through the identity provider is refused; ``reason`` names why (the keys of
    ``kshare.people.sso.REFUSALS``: unverified_email, disabled, domain, no_email, …)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def email_domain_allowed(*, email: str, domains: list[str]) -> bool:
    """Whether ``email`` may sign in under ``KSHARE_SIGNIN_DOMAINS`` (empty: every domain)."""
    if not domains:
        return True
    return email_normalise(email).rpartition("@")[2] in domains


def team_get_or_create(*, name: str) -> Team | None:
    """The team called ``name`` (matched by slug, then by name), created when missing; ``None``
    for a blank name or one without a letter or digit."""
    name = " ".join(name.split())[:TEAM_NAME_MAX_LENGTH]
    slug = slugify(name)[:100]
    if not slug:
        return None
    team = Team.objects.filter(slug=slug).first() or Team.objects.filter(name__iexact=name).first()
    if team is None:
        team, _ = Team.objects.get_or_create(slug=slug, defaults={"name": name})
    return team


def _claim_true(value: object) -> bool:
    # Some providers send the JSON boolean as a string.
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _claim_groups(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    return set()


def sso_role(*, claims: dict, config: dict) -> str | None:
    """The role the provider's groups give (admin, organiser or member), or ``None`` when no
    group is mapped (``KSHARE_OIDC_ADMIN_GROUPS``/``_ORGANISER_GROUPS`` unset): roles are then
    kept in kshare."""
    if not (config["admin_groups"] or config["organiser_groups"]) or not config["groups_claim"]:
        return None
    groups = _claim_groups(claims.get(config["groups_claim"]))
    if groups & set(config["admin_groups"]):
        return Role.ADMIN
    if groups & set(config["organiser_groups"]):
        return Role.ORGANISER
    return Role.MEMBER


def person_sso_sign_in(*, claims: dict, config: dict, domains: list[str]) -> Person:
    """The person the provider's verified ``claims`` sign in, created at the first sign-in.

    The e-mail address links the account, and only when the provider says it is verified
    (``email_verified``); a disabled account (``is_active`` off) and an address outside
    ``domains`` are refused (``SsoRefused``). Name, team and role follow the configured claims
    at every sign-in (``config`` is ``settings.KSHARE_OIDC``); a person who was invited and signs
    in for the first time gets the invitation's team and role where no claim says otherwise,
    and the invitation counts as accepted.
    """
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip():
        raise SsoRefused("no_email")
    email = email_normalise(email)
    try:
        validate_email(email)
    except ValidationError:
        raise SsoRefused("no_email") from None
    if len(email) > EMAIL_MAX_LENGTH:
        raise SsoRefused("no_email")
    if not _claim_true(claims.get("email_verified")):
        raise SsoRefused("unverified_email")
    if not email_domain_allowed(email=email, domains=domains):
        raise SsoRefused("domain")

    name_value = claims.get(config["name_claim"]) if config["name_claim"] else None
    name = " ".join(name_value.split()) if isinstance(name_value, str) else ""
    team_value = claims.get(config["team_claim"]) if config["team_claim"] else None
    role = sso_role(claims=claims, config=config)

    with transaction.atomic():
        person = Person.objects.select_for_update().filter(email__iexact=email).first()
        if person is not None:
            if not person.is_active:
                raise SsoRefused("disabled")
            return _person_sso_update(person=person, name=name, team_value=team_value, role=role)
        invite = (
            AccountInvite.objects.filter(email__iexact=email, accepted_at__isnull=True)
            .select_related("team")
            .first()
        )
        team = team_get_or_create(name=team_value) if isinstance(team_value, str) else None
        person = Person.objects.create_user(
            email,
            None,  # no password: the provider signs them in
            display_name=(name or (invite.display_name if invite else "") or email.split("@")[0])[
                :DISPLAY_NAME_MAX_LENGTH
            ],
            team=team or (invite.team if invite else None),
            role=role or (invite.role if invite else Role.MEMBER),
        )
        if invite is not None:  # saved one by one so that the audit log records it
            invite.accepted_at = now()
            invite.person = person
            invite.save(update_fields=["accepted_at", "person"])
    return person


def _person_sso_update(
    *, person: Person, name: str, team_value: object, role: str | None
) -> Person:
    changes: dict[str, bool] = {}
    if name and name[:DISPLAY_NAME_MAX_LENGTH] != person.display_name:
        changes["display_name"] = True
        person.display_name = name[:DISPLAY_NAME_MAX_LENGTH]
    if isinstance(team_value, str) and team_value.strip():
        team = team_get_or_create(name=team_value)
        if team is not None and team.pk != person.team_id:
            changes["team"] = True
            person.team = team
    if role is not None and role != person.role:
        changes["role"] = True
        person.role = role
    if changes:  # the audit log records the change (audit/receivers.py)
        person.save(update_fields=list(changes))
    return person


# --- People who left -----------------------------------------------------------------------


@dataclass
class LeaversReport:
    disabled: list[str] = field(default_factory=list)
    already_disabled: list[str] = field(default_factory=list)


def people_leave_csv(*, file: TextIO) -> LeaversReport:
    """Disable everyone a CSV file lists (its ``email`` column; other columns are ignored).

    All or nothing, like the import: an invalid address, one no account uses, or a file that
    would leave no active admin raises ``PeopleImportError`` naming the rows, and nobody is
    disabled. A disabled person cannot sign in (password or identity provider), their sessions
    end at their next request (Django refuses inactive accounts when it loads the session's
    person) and their API tokens stop working. Their data stays until an admin erases the
    account (docs/security.md, "Deleting an account"); each change is in the audit log.
    """
    header, raw_rows = _read_rows(file)
    columns = [h.strip().lower().lstrip("\ufeff") for h in header]
    if "email" not in columns:
        raise PeopleImportError([ImportProblem(1, "email", "required column is missing")])
    at = columns.index("email")
    problems: list[ImportProblem] = []
    row_of: dict[str, int] = {}
    for number, values in raw_rows:
        if not any(v.strip() for v in values):
            continue
        email = email_normalise(values[at] if at < len(values) else "")
        try:
            if not email or len(email) > EMAIL_MAX_LENGTH:
                raise ValidationError("invalid")
            validate_email(email)
        except ValidationError:
            problems.append(
                ImportProblem(number, "email", f"'{email[:80]}' is not a valid e-mail address")
            )
            continue
        row_of.setdefault(email, number)
    if not row_of and not problems:
        problems.append(ImportProblem(None, "", "the file has a header but no people"))
    people: dict[str, Person] = {}
    emails = list(row_of)
    for start in range(0, len(emails), 900):  # stay under SQLite's bound-parameter limit
        people.update(
            (p.email, p) for p in Person.objects.filter(email__in=emails[start : start + 900])
        )
    for email, number in row_of.items():
        if email not in people:
            problems.append(ImportProblem(number, "email", f"no account uses '{email}'"))
    leaving = {p.pk for p in people.values()}
    if any(p.is_admin and p.is_active for p in people.values()) and not (
        Person.objects.filter(is_active=True)
        .filter(models.Q(role=Role.ADMIN) | models.Q(is_superuser=True))
        .exclude(pk__in=leaving)
        .exists()
    ):
        problems.append(
            ImportProblem(None, "", "this would disable every admin; keep at least one")
        )
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise PeopleImportError(problems)
    report = LeaversReport()
    with transaction.atomic():
        for email in emails:
            person = people[email]
            if not person.is_active:
                report.already_disabled.append(email)
                continue
            person.is_active = False
            person.save(update_fields=["is_active"])  # recorded by the audit log
            report.disabled.append(email)
    return report
