# Tilly's two commands are `make demo` and `make test`; both set up what they need first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
EXT    := $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))")
CYTHON_SOURCES := shared/pricing/request.py shared/pricing/kernel.py
COMPILED := $(CYTHON_SOURCES:.py=$(EXT))

.PHONY: setup system-packages build test lint demo bench clean

setup: $(VENV)/.installed build

# Debian / Raspberry Pi OS packages the build needs, Chromium (the kiosk's browser, and the
# real browser of the UI tests), Mosquitto (the broker; the tests start their own) and
# PostgreSQL (the hub's second database; the tests make their own databases on it);
# installed with apt only when missing. Then PostgreSQL's clusters are started if down, and
# the user running the tests gets a role that may create databases (peer login on the
# local socket: tests/postgres.py).
system-packages:
	@missing=""; \
	command -v pg_lsclusters >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v cc >/dev/null 2>&1 || missing="$$missing build-essential"; \
	$(PYTHON) -c "import venv, ensurepip" >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	$(PYTHON) -c "import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))" \
	  || missing="$$missing python3-dev"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v mosquitto_passwd >/dev/null 2>&1 && [ -x /usr/sbin/mosquitto ] || missing="$$missing mosquitto"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	  $$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	fi
	@sudo=""; as_postgres="sudo -u postgres"; \
	[ "$$(id -u)" -eq 0 ] && as_postgres="runuser -u postgres --" || sudo="sudo"; \
	pg_lsclusters --no-header | while read version cluster port status rest; do \
	  case "$$status" in online*) ;; \
	    *) $$sudo pg_ctlcluster --skip-systemctl-redirect $$version $$cluster start;; esac; \
	done; \
	user=$$(id -un); \
	$$as_postgres psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$$user'" | grep -q 1 \
	  || $$as_postgres createuser --createdb "$$user"

$(VENV)/.installed: pyproject.toml setup.py | system-packages
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[till,hub,dev]'
	touch $@

# The compiled pricing engine. An editable install builds it in place, with the pinned
# build requirements of pyproject.toml (not whatever setuptools the venv came with).
build: $(COMPILED)

$(COMPILED) &: $(CYTHON_SOURCES) setup.py $(VENV)/.installed
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(COMPILED)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

# Two pytest workers (pytest-xdist), the slowest tests handed out first (tests/conftest.py);
# `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= 2

test: setup lint
	$(PY) -m pytest -n $(PYTEST_WORKERS)

DEMO_DIR ?= var/demo

demo: setup
	$(PY) -m hub.demo --dir $(DEMO_DIR)

bench: setup
	$(PY) bench/pricing.py
	$(PY) bench/till.py
	$(PY) bench/ingest.py
	$(PY) bench/hub.py
	$(PY) bench/crm.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis .ruff_cache bench/out tests/artifacts var
	find . -name '__pycache__' -prune -exec rm -rf {} +
	rm -f shared/pricing/*.so shared/pricing/*.c
