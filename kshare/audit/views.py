"""The audit log for admins: filter, read, export. Nothing here changes or deletes an entry."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from kshare.audit.forms import AuditFilterForm
from kshare.audit.models import AuditEntry
from kshare.audit.selectors import audit_allowed, audit_entries, audit_target_types
from kshare.audit.services import audit_record
from kshare.core.csv_export import csv_writer

PAGE_SIZE = 50


def _form(request: HttpRequest) -> AuditFilterForm:
    if not audit_allowed(request.user):  # type: ignore[arg-type]
        raise PermissionDenied(gettext("Only admins can read the audit log."))
    return AuditFilterForm(request.GET or None, target_types=audit_target_types())


@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    entries = audit_entries(filters=form.filters()).select_related("actor")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/list.html",
        {"form": form, "page": page, "query": query.urlencode(), "nav": "audit"},
    )


@require_GET
def audit_export(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    filters = form.filters()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="kshare-audit-{stamp}.csv"'
    writer = csv_writer(response, bom=request.GET.get("bom") == "1")
    writer.writerow(["when", "who", "action", "what", "id", "name", "changes", "source", "address"])
    for entry in audit_entries(filters=filters).iterator(chunk_size=2000):
        writer.writerow(
            [
                timezone.localtime(entry.at).isoformat(timespec="seconds"),
                entry.actor_label or "kshare",
                entry.action,
                entry.target_type,
                entry.target_id,
                entry.target_label,
                "; ".join(f"{name}: {text}" for name, text in entry.change_rows),
                entry.get_source_display(),
                entry.address or "",
            ]
        )
    # Exporting the log is itself an admin action.
    audit_record(
        action=AuditEntry.Action.EXPORT,
        target_type="audit.auditentry",
        target_label="audit log",
        changes={k: str(v) for k, v in filters.__dict__.items() if v},
    )
    return response
