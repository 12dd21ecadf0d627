"""The slot finder and the recurrence rules are plain Python: importing them loads no Django
(settings, models) — their inputs come from the loader (``slots_loader.py``) and the callers."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["kshare.scheduling.slots", "kshare.core.recurrence"])
def test_the_pure_modules_import_no_django(module):
    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    env = {"PATH": "", "PYTHONPATH": ":".join(p for p in sys.path if p)}
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert result.stdout.strip() == "[]"
