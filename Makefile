# The two commands of the README: `make run` (the demo) and `make test` (the tests).
# Everything else here is what those two need on a fresh machine with Python 3.11.

PYTHON ?= python3.11
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)

.PHONY: run test install lint format messages demo-data clean

$(UV):
	$(PYTHON) -m pip install --user --quiet uv

install: $(UV)
	$(UV) sync --frozen --python $(PYTHON)

# The demo: SQLite (WAL), a filesystem Celery broker, mail written to var/mail, and an SMTP
# listener for inbound mail on 127.0.0.1:2525 (REDRESS_SMTP_PORT overrides).
run: install
	mkdir -p var/broker/queue var/broker/processed var/broker/control var/mail var/evidence
	$(UV) run --no-sync python manage.py migrate --noinput
	$(UV) run --no-sync python manage.py collectstatic --noinput --verbosity 0
	$(UV) run --no-sync python manage.py seed_demo
	$(UV) run --no-sync python manage.py seed_mail
	$(UV) run --no-sync python manage.py seed_helpcenter
	$(UV) run --no-sync python manage.py seed_desk
	$(UV) run --no-sync python manage.py seed_reports
	@echo "Redress is starting on http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server, worker, beat and mail listener)"
	@echo "Inbound mail: SMTP on 127.0.0.1:$${REDRESS_SMTP_PORT:-2525}; the reply address to use is in the mails under var/mail/"
	REDRESS_PORT=$(PORT) REDRESS_SITE_URL=http://127.0.0.1:$(PORT) REDRESS_OFFICIAL_DOMAIN=127.0.0.1:$(PORT) \
		$(UV) run --no-sync honcho start -f Procfile.demo

test: install
	$(UV) run --no-sync pytest -n 2  # two processes: the suite in about half the time on 2 cores

lint: install
	$(UV) run --no-sync ruff check .
	$(UV) run --no-sync ruff format --check .
	$(UV) run --no-sync lint-imports

format: install
	$(UV) run --no-sync ruff format .
	$(UV) run --no-sync ruff check --fix .

# Regenerate the catalogues after changing strings; the compiled .mo files are committed,
# so a fresh machine needs no gettext to serve Chinese.
messages: install
	$(UV) run --no-sync python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=var
	$(UV) run --no-sync python manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf var
