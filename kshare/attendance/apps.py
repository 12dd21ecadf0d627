from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    """Running a session: check-in (link, QR, "I'm here"), the attendance log and its history."""

    name = "kshare.attendance"
    label = "attendance"
    verbose_name = "Attendance"

    def ready(self) -> None:
        from kshare.attendance import parts

        parts.register()  # its parts of other apps' pages (attendance/parts.py)
