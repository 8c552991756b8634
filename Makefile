# Hub du Sud — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STRIPE_PORT ?= 8420
export FLASK_APP := wsgi


# lint: the gates every commit passes: ruff (format and lint), import contracts, mypy (strict on the libraries)
lint: $(VENV)/.installed-test
	$(BIN)/ruff format --check --quiet .
	$(BIN)/ruff check --quiet .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

.PHONY: lint messages run test test-sqlite test-postgresql install install-test translations services bench clean mutation

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed translations
install-test: $(VENV)/.installed-test translations

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile -d app/translations >/dev/null

## messages: extract the French source strings and update the English catalogue
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 --no-location --sort-output \
	  --project "Hub du Sud" -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

## run: install, migrate the SQLite database under instance/, load communes and demo data
##      when empty, start localstripe, serve http://127.0.0.1:$(PORT)
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask hub bootstrap
	@echo "Hub du Sud on http://127.0.0.1:$(PORT) — demo accounts in README.md (Ctrl-C to stop)"
	@$(BIN)/localstripe --port $(STRIPE_PORT) --from-scratch >instance/localstripe.log 2>&1 & \
	  stripe_pid=$$!; trap "kill $$stripe_pid 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

services:
	bash scripts/ensure_services.sh

## test: install the test extras, make sure PostgreSQL, Redis and Chromium are there, run the lint
##       gates (`make lint`), then the whole suite on SQLite (with the wheel check), then on PostgreSQL
test: install-test services
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql

PYTEST_ARGS ?= -n 2 --dist loadfile

# The attack suite (tests/attack) runs its own stack on PostgreSQL: in the PostgreSQL pass only. So do the
# Chromium journeys (tests/browser, both screen widths with the accessibility gate): they test what users
# click, and run once against the production database; what differs between the databases is tested below them.
test-sqlite:
	TEST_DATABASE=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS) --ignore=tests/attack --ignore=tests/browser

test-postgresql:
	TEST_DATABASE=postgresql $(BIN)/python -m pytest $(PYTEST_ARGS)

## check-wheel: build the wheel, install it in a fresh venv and start the app from it, outside the checkout:
##              every blueprint, route and command, pages, static files, translations, migrations
##              (scripts/check_wheel.py; `--full` installs the dependencies from the index too)
.PHONY: check-wheel
check-wheel: $(VENV)/.installed-test
	$(BIN)/python scripts/check_wheel.py

## mutation: mutation testing, one mutant at a time: the money code (payments/ledger.py, rules.py,
##           vouchers.py) against the payments and voucher tests on SQLite (see payments/MUTATION.md),
##           then the matching rules (matching/checker.py, candidates.py, joins.py) and the pricing code
##           (matching/stream.py, solvers/streamed.py; solvers/augment.py and auction.py, their numba
##           kernels run uncompiled) against the pure-library matching tests (see
##           matching/MUTATION-RESULTS.txt); score per file and the survivors. Not part of `make test`:
##           about two hours on 2 cores.
MUTATION_ARGS ?= --jobs 2
mutation: install-test services
	@mkdir -p instance
	$(BIN)/python scripts/mutation.py --suite payments $(MUTATION_ARGS) --report instance/mutation-report.txt
	$(BIN)/python scripts/mutation.py --suite matching $(MUTATION_ARGS) --report instance/mutation-matching.txt
	$(BIN)/python scripts/mutation.py --suite pricing $(MUTATION_ARGS) --report instance/mutation-pricing.txt
	$(BIN)/python scripts/mutation.py --suite solvers $(MUTATION_ARGS) --report instance/mutation-solvers.txt

bench: install services
	$(BIN)/python -m matching.bench --sizes small,medium,large,dense-medium,dense-large,dense-huge
	$(BIN)/python -m search.bench
	$(BIN)/python -m app.searching.relevance
	$(BIN)/python -m payments.bench
	$(BIN)/python -m app.observatory.bench
	$(BIN)/python -m app.observatory.bench_report
	$(BIN)/python -m app.opendata.bench --floor
	$(BIN)/python scripts/bench_http.py
	$(BIN)/python scripts/bench_rebuild.py --docs 20000

clean:
	rm -rf $(VENV) instance .pytest_cache
