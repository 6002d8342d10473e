# Two commands matter: `make run` (set up and start on SQLite) and `make test` (set up and test).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := tracker

.PHONY: run test setup lint demo bench loadtest deploytest clean

$(STAMP): setup.cfg pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

setup: $(STAMP)

# Plain HTTP on 127.0.0.1 only: the Secure cookie flag is relaxed for this local server alone.
run: $(STAMP)
	$(BIN)/flask db upgrade
	@$(BIN)/flask first-run-hint
	TRACKER_SESSION_COOKIE_SECURE=false $(BIN)/flask run --host 127.0.0.1 --port 5000

demo: $(STAMP)
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench.run

loadtest: $(STAMP)
	$(BIN)/python -m bench.loadtest

# The load test through nginx (apt-get install -y nginx) with deploy/nginx.conf and a guesser.
deploytest: $(STAMP)
	$(BIN)/python -m bench.loadtest --nginx $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
