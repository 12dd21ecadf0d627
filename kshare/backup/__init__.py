"""Backups and restores of a whole installation: database, uploaded media, a manifest.

``kshare backup PATH`` and ``kshare restore PATH`` (``kshare/cli.py``) call
``services.backup_create`` and ``services.backup_restore``; docs/operations.md explains
schedules and off-site copies.
"""
