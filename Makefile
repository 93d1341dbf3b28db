# KMS Console. `make run` serves the console and the AWS endpoint; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Processes, not threads, serve the API fastest on 2 cores (make bench: 4x1 beat 2x4 by ~20%).
WORKERS ?= 4
THREADS ?= 1

.PHONY: run test serve bench fuzz soak install install-test migrate demo clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: requirements-bench.txt requirements-test.txt requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-bench.txt
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_scenario scenarios/demo.yaml

run: demo
	@$(PY) manage.py demo_instructions --host $(HOST) --port $(PORT)
	$(VENV)/bin/gunicorn kmsconsole.wsgi --bind $(HOST):$(PORT) --workers 1 --threads 8 --access-logfile -

serve: migrate
	$(VENV)/bin/gunicorn kmsconsole.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) --threads $(THREADS)

test: $(VENV)/.installed-test
	$(PY) -m pytest

# Every benchmark runs, even after one misses its target; the exit status says whether all met theirs.
bench: $(VENV)/.installed-bench
	@status=0; for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script || status=1; done; exit $$status

# The endpoint fuzz (tests/hardening/test_fuzz.py) with many more examples than the normal suite runs.
FUZZ_EXAMPLES ?= 3000
fuzz: $(VENV)/.installed-test
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/hardening/test_fuzz.py -q

# 60 s of 16 boto3 clients against gunicorn: req/s, p99, 5xx (must be 0), calls without their record (must be 0).
soak: $(VENV)/.installed-test
	$(PY) bench/soak.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis staticfiles
