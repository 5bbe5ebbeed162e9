# Keepwarm: `make demo` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: $(BIN)/python requirements.txt pyproject.toml
	$(BIN)/pip install -q -r requirements.txt -c constraints.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt -c constraints.txt
	touch $@

# `make demo ADDRESS=0.0.0.0:8080` to listen elsewhere. A second run keeps the data.
# Links in the demo's emails point at ADDRESS (KEEPWARM_BASE_URL, unless set; 0.0.0.0
# stands for this machine's first network address), and a demo reachable from other
# machines gets a secret key of its own, kept in the data directory, instead of the
# built-in one anybody can read.
# The demo signs in with the password alone (a banner on every page says so);
# `KEEPWARM_REQUIRE_SECOND_FACTOR=on make demo` asks for the authenticator code too.
ADDRESS ?= 127.0.0.1:8000
DEMO_HOST = $(firstword $(subst :, ,$(ADDRESS)))
DEMO_PORT = $(lastword $(subst :, ,$(ADDRESS)))
demo: $(VENV)/.runtime
	@host="$(DEMO_HOST)"; \
	if [ "$$host" = "0.0.0.0" ]; then host="$$(hostname -I 2>/dev/null | cut -d' ' -f1)"; host="$${host:-127.0.0.1}"; fi; \
	export KEEPWARM_BASE_URL="$${KEEPWARM_BASE_URL:-http://$$host:$(DEMO_PORT)}"; \
	case "$$host" in 127.*|localhost|::1) ;; *) \
		data="$${KEEPWARM_DATA_DIR:-data}"; mkdir -p "$$data"; \
		[ -s "$$data/demo-secret-key" ] || $(BIN)/python -c "import secrets; print(secrets.token_urlsafe(50))" > "$$data/demo-secret-key"; \
		export KEEPWARM_SECRET_KEY="$${KEEPWARM_SECRET_KEY:-$$(cat "$$data/demo-secret-key")}";; \
	esac; \
	echo "Links in emails point at $$KEEPWARM_BASE_URL"; \
	$(BIN)/keepwarm migrate --noinput --verbosity 0 && \
	$(BIN)/keepwarm demo-data && \
	KEEPWARM_REQUIRE_SECOND_FACTOR=$${KEEPWARM_REQUIRE_SECOND_FACTOR:-off} $(BIN)/keepwarm serve $(ADDRESS)

# The newsletter email-HTML checker (npm); without npm its test skips and says so.
tools/email-lint/node_modules: tools/email-lint/package-lock.json
	-command -v npm >/dev/null && npm ci --prefix tools/email-lint --no-audit --no-fund --silent

# Mozilla's ical.js, the calendar feed's second parser (npm); without npm its test skips and says so.
tools/ical-check/node_modules: tools/ical-check/package-lock.json
	-command -v npm >/dev/null && npm ci --prefix tools/ical-check --no-audit --no-fund --silent

# PostgreSQL when KEEPWARM_TEST_DATABASE_URL is set, else SQLite in memory.
test: $(VENV)/.dev tools/email-lint/node_modules tools/ical-check/node_modules
	KEEPWARM_DATABASE_URL="$${KEEPWARM_TEST_DATABASE_URL:-}" $(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy keepwarm
	$(BIN)/lint-imports

format: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.dev
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) data
