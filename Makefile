# One command to set up and test, one to lock. Needs only python3 (3.11+) on the PATH.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: test demo lint bench lock clean

$(BIN)/opsbot: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

test: $(BIN)/opsbot
	$(BIN)/pytest

# The bot in the offline console over the sandbox: the scripted tour, then `.venv/bin/opsbot console` to play.
demo: $(BIN)/opsbot
	$(BIN)/opsbot console --script demo.txt

lint: $(BIN)/opsbot
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/check-jsonschema --schemafile schemas/slack-app-manifest.schema.json manifest.yml
	$(BIN)/hadolint Dockerfile
	$(BIN)/cfn-lint deploy/*.yaml

bench: $(BIN)/opsbot
	@for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

# Regenerate the pinned, hashed lock files after changing dependencies in pyproject.toml (needs uv).
lock:
	uv pip compile pyproject.toml --extra dev --extra build --extra sandbox --generate-hashes --python-version 3.11 -q -o requirements-dev.lock
	uv pip compile pyproject.toml --extra build --generate-hashes --python-version 3.11 -q -o requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
