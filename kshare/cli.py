"""The `kshare` command: start, serve, work and administer kshare without knowing Django.

Every failure a user can cause (a bad setting, a missing file, an unreachable database, a bad
option) ends with exit code 2 and one sentence on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

EXIT_ERROR = 2
DEFAULT_THREADS = 4
MAX_DEFAULT_WORKERS = 8
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class UsageError(Exception):
    """Something the user asked for cannot be done; the message is shown as it is."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line instead of usage plus error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_ERROR, f"{self.prog}: {message} (see `{self.prog} --help`).\n")


def build_parser() -> Parser:
    parser = Parser(
        prog="kshare",
        description="Knowledge sharing for companies: sessions, schedules, feedback, recordings.",
        epilog="Settings come from environment variables; see docs/configuration.md.",
    )
    commands = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=Parser, required=True
    )

    up = commands.add_parser(
        "up",
        help="prepare the database, add a demo organisation when empty, run web server and worker",
        description=(
            "Everything in one process for one computer: apply migrations, create the demo "
            "organisation when there are no people yet, start the task worker and serve the site. "
            "Stop with Ctrl-C. For plain http (no TLS proxy) set KSHARE_INSECURE_HTTP=1."
        ),
    )
    _add_address(up)
    up.add_argument(
        "--no-worker", action="store_true", help="do not start the task worker (mail waits)"
    )

    serve = commands.add_parser(
        "serve",
        help="serve the web site with gunicorn (production: run `kshare worker` beside it)",
        description=(
            "Serve the web site with gunicorn: several processes with threads each, for every "
            "core; no migrations, no worker. SIGHUP restarts the processes gracefully (new code "
            "and settings), SIGTERM stops after the requests in flight. See docs/deploy.md."
        ),
    )
    _add_address(serve)
    serve.add_argument(
        "--workers",
        type=_positive_int,
        default=None,
        help=f"processes (default: {default_workers()} here: 2 per core, at most "
        f"{MAX_DEFAULT_WORKERS})",
    )
    serve.add_argument(
        "--threads",
        type=_positive_int,
        default=DEFAULT_THREADS,
        help=f"threads per process (default: {DEFAULT_THREADS})",
    )
    serve.add_argument(
        "--graceful-timeout",
        type=_positive_int,
        default=30,
        metavar="SECONDS",
        help="how long requests in flight may finish on restart or stop (default: 30)",
    )
    serve.add_argument(
        "--access-log",
        default="-",
        metavar="FILE",
        help="append the access log (combined log format) to FILE (default: stderr)",
    )

    worker = commands.add_parser(
        "worker",
        help="run the background task worker (mail, reminders, recommendations)",
        description="Run the background task worker (django-tasks-db's db_worker).",
    )
    worker.add_argument("--batch", action="store_true", help="run what is queued, then exit")
    worker.add_argument(
        "--queue-name", help="queues to process, comma-separated (default: default)"
    )
    worker.add_argument(
        "--interval", type=float, help="seconds between polls of an empty queue (default: 1)"
    )
    worker.add_argument("--max-tasks", type=_positive_int, help="exit after this many tasks")
    worker.add_argument(
        "--reload", action="store_true", help="restart on code changes (development only)"
    )

    demo = commands.add_parser(
        "demo",
        help="create the demo organisation (people, sessions, feedback) and print its logins",
        description="Create the demo organisation and print the demo logins.",
    )
    demo.add_argument("--people", type=_positive_int, help="how many people to create")
    demo.add_argument("--seed", type=int, help="random seed, for the same organisation each time")

    createadmin = commands.add_parser(
        "createadmin",
        help="create an administrator account",
        description=(
            "Create an administrator. The password is asked for when run in a terminal, "
            "otherwise it is read from KSHARE_ADMIN_PASSWORD."
        ),
    )
    createadmin.add_argument("--email", help="the administrator's e-mail address (the login)")
    createadmin.add_argument("--name", help="display name (default: from the e-mail address)")

    import_people = commands.add_parser(
        "import-people",
        help="create people from a CSV file (all or nothing)",
        description=(
            "Create people from a CSV file with the columns email, display_name, team, timezone, "
            "role, skills, interests. One bad row imports nothing and the report names it."
        ),
    )
    import_people.add_argument("file", metavar="FILE.csv", help="the CSV file to import")
    import_people.add_argument(
        "--leavers",
        action="store_true",
        help="disable the people the file lists (its email column): people who left lose access",
    )

    reindex = commands.add_parser(
        "reindex",
        help="rebuild the search index (shows progress)",
        description=(
            "Rebuild the search index from sessions, notes, transcripts, ideas and people. "
            "Searches keep using the old index until the new one is complete."
        ),
    )
    reindex.add_argument(
        "--chunk", type=_positive_int, default=500, help="rows at a time (default: 500)"
    )

    transcribe = commands.add_parser(
        "transcribe",
        help="queue the automatic transcription of existing recordings",
        description=(
            "Queue the automatic transcription (KSHARE_TRANSCRIBE) of the recordings with the "
            "given material ids, or with --missing of every recording with a stored file and no "
            "transcript. The worker does the work; prints how many were queued. An id that is "
            "not a recording with a stored file queues nothing and ends with exit code 2."
        ),
    )
    transcribe.add_argument("ids", nargs="*", type=int, metavar="ID", help="material ids")
    transcribe.add_argument(
        "--missing", action="store_true", help="every recording with a file and no transcript"
    )

    recommend = commands.add_parser(
        "recommend",
        help="evaluate the recommender offline (every model and baseline on a data set)",
        description="The recommender's offline tools.",
    )
    recommend_actions = recommend.add_subparsers(
        dest="action", metavar="ACTION", parser_class=Parser, required=True
    )
    recommend_evaluate = recommend_actions.add_parser(
        "evaluate",
        help="evaluate every model and baseline on a data set",
        description=(
            "Evaluate every recommender model and baseline on one data set: movietweetings, "
            "synthetic, pyvideo-experts, demo, or a directory holding MovieTweetings' ratings.dat. "
            "Data sets are read from KSHARE_DATA_DIR."
        ),
    )
    recommend_evaluate.add_argument(
        "--dataset", required=True, metavar="NAME_OR_PATH", help="the data set to evaluate on"
    )
    recommend_evaluate.add_argument(
        "--json", action="store_true", help="print one JSON object instead of a table"
    )
    recommend_evaluate.add_argument(
        "--seed",
        type=_non_negative_int,
        default=0,
        metavar="N",
        help="the generated organisation's seed (synthetic only; default: 0)",
    )

    backup = commands.add_parser(
        "backup",
        help="write a consistent backup (database, media, manifest) while the site runs",
        description=(
            "Write a backup of the whole installation to one archive file: a consistent snapshot "
            "of the database taken while the site runs, every uploaded file, and a manifest with "
            "checksums and the schema version. See docs/operations.md."
        ),
    )
    backup.add_argument("path", metavar="PATH", help="the archive to write (must not exist)")
    restore = commands.add_parser(
        "restore",
        help="restore a backup into an empty installation",
        description=(
            "Restore a backup made by `kshare backup` into this installation, which must be empty "
            "and use the same kind of database. The archive is checked completely first; a "
            "damaged, truncated or newer-schema backup is refused and nothing is changed."
        ),
    )
    restore.add_argument("path", metavar="PATH", help="the archive to restore")
    delete_person = commands.add_parser(
        "delete-person",
        help="delete someone's account and personal data (for someone who has left)",
        description=(
            "Delete the account with this e-mail address and everything kshare holds about the "
            "person, as they could themselves: sessions they hosted, ideas, questions and named "
            'feedback stay, shown as by "Former member"; anonymous feedback stays anonymous. '
            "Recorded in the audit log. Cannot be undone. See docs/security.md."
        ),
    )
    delete_person.add_argument("email", metavar="EMAIL", help="the person's e-mail address")

    mail_in = commands.add_parser(
        "mail-in",
        help="save Accept/Decline answers from calendar programs (iMIP replies) as RSVPs",
        description=(
            "Read the calendar replies (Accept, Maybe, Decline pressed in Outlook, Google or "
            "Apple Calendar) from the mailbox of KSHARE_IMAP_URL and save each as the RSVP; "
            "read mail is moved to KSHARE_IMAP_DONE_FOLDER. With `-`, read one message from "
            "stdin instead (a mail server's pipe). Bad mail is counted and skipped (exit 0); a "
            "mailbox that cannot be read is exit 2. The worker reads the mailbox every tick "
            "when KSHARE_IMAP_URL is set."
        ),
    )
    mail_in.add_argument("source", nargs="?", choices=["-"], help="`-`: one message from stdin")

    tick = commands.add_parser(
        "tick",
        help="run the periodic tasks once (for cron, or when no worker clock runs)",
        description=(
            "Run the periodic tasks once: all of them, or the NAMEs given (`--list` names "
            "them). This is what the worker's clock queues every KSHARE_TICK_SECONDS; each is "
            "safe to run as often as you like. `--enqueue` queues them for the worker instead."
        ),
    )
    tick.add_argument("names", nargs="*", metavar="NAME", help="the ticks to run (default: all)")
    tick.add_argument("--list", action="store_true", help="list the ticks and what they do")
    tick.add_argument(
        "--enqueue", action="store_true", help="queue them for the worker instead of running them"
    )

    commands.add_parser(
        "migrate",
        help="apply database migrations",
        description="Create or upgrade the database tables.",
    )
    check = commands.add_parser(
        "check",
        help="check the configuration",
        description="Run Django's system checks against the current configuration.",
    )
    check.add_argument(
        "--deploy", action="store_true", help="also run the checks for production deployments"
    )

    manage = commands.add_parser(
        "manage",
        help="run any Django management command",
        description="Run a Django management command, e.g. `kshare manage shell`.",
    )
    manage.add_argument(
        "args", nargs=argparse.REMAINDER, metavar="ARGS", help="command and options"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kshare.settings")
    handler: Callable[[argparse.Namespace], int] = COMMANDS[args.command]
    try:
        return handler(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = _user_error(exc)
        if message is None:
            raise
        print(f"kshare: {message}", file=sys.stderr)
        return EXIT_ERROR


def _user_error(exc: Exception) -> str | None:
    """One line for a failure the user can fix, or None for a bug (which keeps its traceback)."""
    from kshare.config import ConfigError

    if isinstance(exc, UsageError | ConfigError):
        return _one_line(str(exc))
    try:
        from django.core.exceptions import ImproperlyConfigured
        from django.core.management import CommandError
        from django.db import DatabaseError, InterfaceError
    except ImportError:  # pragma: no cover - Django is a dependency
        return None
    if isinstance(exc, CommandError | ImproperlyConfigured):
        return _one_line(str(exc))
    if isinstance(exc, DatabaseError | InterfaceError):
        return f"the database {_database_name()} cannot be used: {_one_line(str(exc))}"
    if isinstance(exc, OSError):
        return _one_line(str(exc))
    return None


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = lines[0] if lines else "failed without a message"
    return line if line.endswith((".", "!", "?")) else f"{line}."


def _database_name() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"file {db['NAME']}"
    host = db.get("HOST") or "localhost"
    port = db.get("PORT") or 5432
    return f"{db.get('NAME')} on {host}:{port}"


def _setup() -> None:
    import django

    django.setup()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be 1 or more")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def _port(text: str) -> int:
    value = _non_negative_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return value


def _add_address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="port to listen on (default: 8000; 0 picks a free one)",
    )


def default_workers() -> int:
    """Two processes per core this process may use, at least 2 and at most MAX_DEFAULT_WORKERS."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(2, min(2 * cores, MAX_DEFAULT_WORKERS))


def _has_command(name: str) -> bool:
    from django.core.management import get_commands

    return name in get_commands()


def _call(name: str, *args: str, **options: object) -> None:
    from django.core.management import call_command

    if not _has_command(name):
        raise UsageError(f"the `{name}` command is not part of this installation.")
    call_command(name, *args, **options)


# --- commands -----------------------------------------------------------------------------


def cmd_recommend(args: argparse.Namespace) -> int:
    _setup()
    options = ["--json"] if args.json else []
    if args.seed:
        options += ["--seed", str(args.seed)]
    _call("recommend", args.action, "--dataset", args.dataset, *options)
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    _setup()
    _call("reindex", chunk=args.chunk)
    return 0


def cmd_transcribe(args: argparse.Namespace) -> int:
    _setup()
    _call("transcribe", *[str(pk) for pk in args.ids], missing=args.missing)
    return 0


def cmd_mail_in(args: argparse.Namespace) -> int:
    _setup()
    _call("mail_in", *([args.source] if args.source else []))
    return 0


def cmd_tick(args: argparse.Namespace) -> int:
    _setup()
    _call("tick", *args.names, list=args.list, enqueue=args.enqueue)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    _setup()
    _call("migrate", interactive=False)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management.base import SystemCheckError

    from kshare.web.backends import descriptions

    for line in descriptions():
        print(line)
    try:
        _call("check", deploy=args.deploy)
    except SystemCheckError as exc:
        # The issues are the point of this command: show them all, then the one-line verdict.
        print(str(exc).strip(), file=sys.stderr)
        print("kshare: the configuration has problems; fix the ones listed above.", file=sys.stderr)
        return EXIT_ERROR
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _setup()
    options = {
        key: value for key in ("people", "seed") if (value := getattr(args, key)) is not None
    }
    # No reindex after it: the demo's bulk paths announce their rows and search indexes them.
    _call("demo", **options)
    return 0


def cmd_import_people(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"the file {args.file} does not exist.")
    _setup()
    _call("import_people", str(path), leavers=args.leavers)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    _setup()
    from kshare.backup.archive import BackupError
    from kshare.backup.services import backup_create

    try:
        backup_create(path=Path(args.path), progress=print)
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    _setup()
    from kshare.backup.archive import BackupError
    from kshare.backup.services import backup_restore

    try:
        backup_restore(path=Path(args.path), progress=print)
    except BackupError as exc:
        raise UsageError(str(exc)) from None
    return 0


def cmd_delete_person(args: argparse.Namespace) -> int:
    _setup()
    from kshare.people.erasure import ErasureRefused, person_erase
    from kshare.people.models import Person

    email = args.email.strip()
    person = Person.objects.filter(email__iexact=email).first() if email else None
    if person is None:
        raise UsageError(f"no account has the e-mail address {email or '(empty)'!r}.")
    try:
        person_erase(person=person, by=None)
    except ErasureRefused as exc:
        raise UsageError(exc.messages[0]) from None
    print(f"Deleted the account {email} and its personal data (account id {person.pk}).")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    _setup()
    _refuse_production_without_site_url()
    options: list[str] = ["--reload" if args.reload else "--no-reload"]
    if args.batch:
        options.append("--batch")
    if args.queue_name:
        options += ["--queue-name", args.queue_name]
    if args.interval is not None:
        options += ["--interval", str(args.interval)]
    if args.max_tasks is not None:
        options += ["--max-tasks", str(args.max_tasks)]
    lease = _start_lease(reload=args.reload)
    if lease is not None:
        options += ["--worker-id", lease.worker_id]
    clock = None if args.batch else _start_clock(reload=args.reload)
    try:
        _call("db_worker", *options)
    finally:
        if clock is not None:
            clock.stop()
        if lease is not None:
            lease.stop()
    return 0


def _start_lease(*, reload: bool):  # -> kshare.core.leases.LeaseKeeper | None
    """The worker's lease: a killed worker's running task is taken back by the others."""
    from django.db import DatabaseError

    from kshare.core.leases import lease_start

    # With --reload the parent process only restarts its child; the child runs the tasks.
    if reload and os.environ.get("RUN_MAIN") != "true":
        return None
    try:
        return lease_start()
    except DatabaseError as exc:
        raise UsageError(
            f"the worker cannot take its lease in the database ({exc}); "
            "run `kshare migrate` first, and check DATABASE_URL."
        ) from None


def _start_clock(*, reload: bool):  # -> kshare.core.clock.Clock | None
    """The periodic tasks (feedback dispatch, reminders): the database backend has no scheduler."""
    from django.conf import settings

    from kshare.core.clock import clock_start

    # With --reload the parent process only restarts its child; the child runs the clock.
    if reload and os.environ.get("RUN_MAIN") != "true":
        return None
    return clock_start(interval=settings.KSHARE_TICK_SECONDS)


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["kshare manage", *args.args])
    except SystemExit as exc:
        # Django exits 1 for a CommandError it has already printed; keep kshare's one error code.
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return 0 if code == 0 else EXIT_ERROR
    return 0


def cmd_createadmin(args: argparse.Namespace) -> int:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    interactive = sys.stdin.isatty()
    email = (args.email or "").strip()
    if not email and interactive:
        email = input("E-mail address: ").strip()
    if not email:
        raise UsageError("pass the administrator's e-mail address with --email.")
    try:
        validate_email(email)
    except ValidationError:
        raise UsageError(f"{email!r} is not a valid e-mail address.") from None
    email = email.lower()
    name = (args.name or "").strip() or _name_from_email(email)
    password = os.environ.get("KSHARE_ADMIN_PASSWORD", "")
    if not password and not interactive:
        raise UsageError(
            "no password: run in a terminal to type one, or set KSHARE_ADMIN_PASSWORD."
        )

    _setup()
    from django.contrib.auth import password_validation

    from kshare.people.models import Person

    if Person.objects.filter(email__iexact=email).exists():
        raise UsageError(f"someone with the e-mail address {email} exists already.")

    if not password:
        import getpass

        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise UsageError("the two passwords differ; nothing was created.")
    try:
        password_validation.validate_password(password, Person(email=email, display_name=name))
    except ValidationError as exc:
        raise UsageError(" ".join(exc.messages)) from None

    Person.objects.create_superuser(email, password, display_name=name)
    print(f"Created the administrator {name} <{email}>.")
    return 0


def _name_from_email(email: str) -> str:
    local = email.split("@", 1)[0]
    words = [word for word in local.replace("_", ".").replace("-", ".").split(".") if word]
    return " ".join(word.capitalize() for word in words) or email


def _refuse_production_without_site_url() -> None:
    from kshare.web.production import startup_refusal

    refusal = startup_refusal()
    if refusal is not None:
        raise UsageError(refusal)


def _default_site_url(host: str, port: int) -> None:
    """Without SITE_URL, links in mail, calendar feeds and QR codes point where this server
    listens: set before the settings load, and inherited by the worker `up` starts and by
    gunicorn's processes. Production still refuses to start without SITE_URL itself."""
    os.environ["KSHARE_DEFAULT_SITE_URL"] = _url(_link_host(host), port)


def cmd_serve(args: argparse.Namespace) -> int:
    listener = _listen(args.host, args.port)
    _default_site_url(args.host, listener.getsockname()[1])
    _setup()
    _refuse_production_without_site_url()
    missing = _static_manifest_missing()
    if missing is not None:
        raise UsageError(
            f"the static files are not collected ({missing} is missing); "
            "run `kshare manage collectstatic --noinput` after each upgrade, then start again."
        )
    if args.access_log != "-":
        _check_writable(Path(args.access_log))
    workers = args.workers or default_workers()
    port = listener.getsockname()[1]
    print(
        f"kshare is serving on {_url(args.host, port)} with gunicorn: {workers} processes "
        f"with {args.threads} threads each (Ctrl-C stops it).",
        flush=True,
    )
    _exec_gunicorn(listener, args, workers=workers)


def _check_writable(path: Path) -> None:
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(
            f"the access log {path} cannot be written ({exc.strerror or exc}); "
            "choose another --access-log."
        ) from None


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, opened here so that a busy port is one sentence, not a traceback."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, proto)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(2048)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "is another server using that port? Try --port."
        ) from None
    return listener


def _exec_gunicorn(listener: socket.socket, args: argparse.Namespace, *, workers: int) -> NoReturn:
    """Become gunicorn's master process, serving on ``listener`` (kshare/web/gunicorn_conf.py).

    ``exec`` keeps the process id (systemd's main process stays the same) and leaves Django
    out of the master, so that SIGHUP starts workers with the code and settings on disk.
    """
    from django.db import connections

    connections.close_all()
    listener.set_inheritable(True)
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:kshare.web.gunicorn_conf",
        "--bind",
        f"fd://{listener.fileno()}",
        "--workers",
        str(workers),
        "--threads",
        str(args.threads),
        "--graceful-timeout",
        str(args.graceful_timeout),
        "--access-logfile",
        args.access_log,
        "kshare.wsgi:application",
    ]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter and gunicorn


def cmd_up(args: argparse.Namespace) -> int:
    if args.port == 0:
        args.port = _free_port(args.host)
    _default_site_url(args.host, args.port)
    _setup()
    from kshare.core.production import in_production

    if not os.environ.get("SITE_URL", "").strip() and in_production():
        raise UsageError(
            "SITE_URL is not set and kshare is in production mode (https): set SITE_URL to the "
            "https address people use, or KSHARE_INSECURE_HTTP=1 for plain http on this "
            "computer (make run does)."
        )
    _refuse_production_without_site_url()
    from django.conf import settings

    print("Preparing the database…", flush=True)
    _call("migrate", interactive=False, verbosity=0)
    if _static_manifest_missing() is not None:
        # Hashed, compressed static files: ~1 s once, then only changed files are copied.
        _call("collectstatic", interactive=False, verbosity=0)
    _demo_when_empty()

    server = _create_server(args.host, args.port, threads=8)
    worker = None if args.no_worker else _start_worker()
    url = _url(args.host, server.effective_port)
    print(f"\nkshare is running on {url}", flush=True)
    if settings.SECURE_SSL_REDIRECT:
        print(
            "Note: plain http is redirected to https; behind no TLS proxy set "
            "KSHARE_INSECURE_HTTP=1 (make run does).",
            flush=True,
        )
    _print_demo_logins()
    print("Press Ctrl-C to stop.\n", flush=True)
    _run_until_stopped(server, on_stop=lambda: _stop_worker(worker))
    return 0


def _link_host(host: str) -> str:
    """The host to put in links: an address that listens everywhere is reached as this computer."""
    return "127.0.0.1" if host.strip("[]") in ("0.0.0.0", "::", "") else host  # noqa: S104


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host.strip("[]"), 0))
        return probe.getsockname()[1]


def _static_manifest_missing() -> str | None:
    """The static manifest path when the production storage needs it and it is missing."""
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    storage = staticfiles_storage
    if not isinstance(storage, ManifestFilesMixin):  # DEBUG or tests: served from the app folders
        return None
    if storage.manifest_storage.exists(storage.manifest_name):
        return None
    return storage.manifest_storage.path(storage.manifest_name)


def _demo_when_empty() -> None:
    from kshare.people.models import Person

    if Person.objects.exists():
        return
    if not _has_command("demo"):
        print("The database has no people yet; create an admin with `kshare createadmin`.")
        return
    print("The database is empty: creating the demo organisation…", flush=True)
    output = io.StringIO()
    _call("demo", stdout=output)  # indexed for search as it commits (no reindex needed)
    # Its summary line only: the logins are printed once, under the address.
    print(next(iter(output.getvalue().strip().splitlines()), "Demo organisation created."))


def _print_demo_logins() -> None:
    try:
        from kshare.demo import logins
    except ImportError:
        return
    from kshare.people.models import Person

    rows = [row for row in logins() if Person.objects.filter(email__iexact=row[0]).exists()]
    if not rows:
        return
    print("Demo logins:")
    width = max(len(email) for email, _password, _role in rows)
    for email, password, role in rows:
        print(f"  {email:<{width}}  {password}  ({role})")


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


def _create_server(host: str, port: int, *, threads: int):  # -> waitress BaseWSGIServer
    from django.conf import settings
    from waitress import create_server

    from kshare.wsgi import application

    # Waitress refuses request bodies over 1 GB by default: allow the largest material upload
    # (the upload view enforces the real limits while it streams). Waitress spools bodies over
    # 512 KB to a temporary file, so a large upload costs disk, not memory.
    largest = max(settings.KSHARE_UPLOAD_MAX_VIDEO, settings.KSHARE_UPLOAD_MAX_OTHER)
    try:
        return create_server(
            application,
            host=host.strip("[]"),
            port=port,
            threads=threads,
            max_request_body_size=largest + 16 * 1024 * 1024,
        )
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "is another server using that port? Try --port."
        ) from None


def _start_worker() -> subprocess.Popen:
    """The worker runs in its own process (same environment), so a slow task never blocks a page."""
    command = [sys.executable, "-m", "kshare.cli", "worker"]
    process = subprocess.Popen(command, env=os.environ.copy())  # noqa: S603 - our own interpreter

    def watch() -> None:
        code = process.wait()
        # Ctrl-C reaches the worker and kshare together: give the stop a moment to be noticed.
        if not stopping.wait(timeout=2):
            print(
                f"kshare: the task worker stopped (exit code {code}); mail and reminders wait "
                "until kshare is restarted.",
                file=sys.stderr,
                flush=True,
            )

    threading.Thread(target=watch, daemon=True, name="worker-watch").start()
    return process


stopping = threading.Event()


def _stop_worker(process: subprocess.Popen | None) -> None:
    stopping.set()
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _run_until_stopped(server, *, on_stop: Callable[[], None]) -> None:
    """Serve until Ctrl-C or SIGTERM, then stop cleanly."""

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # SIGINT too: a shell starting kshare in the background (`make run &`) ignores Ctrl-C for it.
    previous = {sig: signal.signal(sig, terminate) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        print("\nStopping kshare…", flush=True)
        on_stop()
        server.close()


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "up": cmd_up,
    "serve": cmd_serve,
    "worker": cmd_worker,
    "demo": cmd_demo,
    "createadmin": cmd_createadmin,
    "import-people": cmd_import_people,
    "backup": cmd_backup,
    "restore": cmd_restore,
    "delete-person": cmd_delete_person,
    "reindex": cmd_reindex,
    "transcribe": cmd_transcribe,
    "recommend": cmd_recommend,
    "mail-in": cmd_mail_in,
    "tick": cmd_tick,
    "migrate": cmd_migrate,
    "check": cmd_check,
    "manage": cmd_manage,
}


if __name__ == "__main__":
    sys.exit(main())
