"""The offline evaluation stays out of the runtime: nothing the web server or the worker imports
loads ``kshare.recommend.evaluation`` (only ``kshare recommend evaluate``, bench/ and tests do)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# In a fresh interpreter: the WSGI application (settings, every app's models and receivers), the
# URLconf with every view it names, the admin, and every other module of the project that is not a
# test or a migration: services, selectors, tasks, receivers, the clock, management commands.
# (pkgutil.walk_packages is not used: it imports every package it walks into.)
CODE = """
import importlib, pathlib, sys
import kshare.wsgi
from django.contrib import admin
from django.urls import get_resolver

get_resolver().url_patterns
admin.autodiscover()
for path in sorted(pathlib.Path("kshare").rglob("*.py")):
    parts = path.with_suffix("").parts
    if {"tests", "migrations", "conftest"} & set(parts) or parts[:3] == EVALUATION:
        continue
    importlib.import_module(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
loaded = sorted(m for m in sys.modules if m.startswith("kshare."))
print(len(loaded))
print(",".join(m for m in loaded if m.startswith("kshare.recommend.evaluation")))
""".replace("EVALUATION", repr(("kshare", "recommend", "evaluation")))


def test_no_runtime_module_imports_the_evaluation():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "kshare.settings")
    out = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", CODE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    count, evaluation = out.stdout.split("\n")[:2]
    assert int(count) > 300  # the walk reached the whole project
    assert evaluation == ""
