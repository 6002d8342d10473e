# Two commands matter: `make run` (set up and start on SQLite) and `make test` (set up and test).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PORT ?= 5000
export FLASK_APP := tracker

.PHONY: run test setup lint demo bench bench-ratio loadtest deploytest faulttest lock clean

# Installs come from the lock files (requirements/*.txt, pip-tools; `make lock` re-pins):
# run.txt is what running needs, test.txt adds the test and development tools.
$(STAMP): requirements/run.txt setup.cfg pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements/run.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP) requirements/test.txt
	$(BIN)/pip install --quiet -r requirements/test.txt
	touch $(TEST_STAMP)

setup: $(TEST_STAMP)

# Plain HTTP on 127.0.0.1 only: the Secure cookie flag is relaxed for this local server alone.
run: $(STAMP)
	$(BIN)/flask db upgrade
	@$(BIN)/flask first-run-hint --port $(PORT)
	TRACKER_SESSION_COOKIE_SECURE=false $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

demo: $(STAMP)
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo

test: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check .

# Each page's throughput ÷ a bare route's through gunicorn at the demo clinic's size (a few
# minutes; wrk if installed), then the 50,000-patient clinic; both appended to bench/RESULTS.md.
# bench-ratio fails when the median page is under 0.10 or any page under 0.05.
bench: $(STAMP)
	-$(BIN)/python -m bench.run --ratio-only $(BENCH_RATIO_ARGS)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-ratio: $(STAMP)
	$(BIN)/python -m bench.run --ratio-only $(BENCH_RATIO_ARGS)

loadtest: $(STAMP)
	$(BIN)/python -m bench.loadtest

# nginx (apt-get install -y nginx) with deploy/nginx.conf in front of two gunicorn instances
# started as deploy/tracker.service starts them, on a throwaway PostgreSQL database; one
# instance is killed with SIGKILL mid-load; a guesser checks the per-client throttles.
deploytest: $(STAMP)
	$(BIN)/python -m bench.loadtest --nginx --db postgres $(LOADTEST_ARGS)

# Faults injected (issue 14): refused writes, full disk (a tmpfs when root), locked, slow, frozen
# and unreachable databases, old-schema databases upgraded; also part of `make test`.
faulttest: $(TEST_STAMP)
	$(BIN)/python -m pytest tests/fault $(PYTEST_ARGS)

# Re-pin after changing install_requires or the extras in setup.cfg (LOCK_ARGS=--upgrade to
# take newer releases); pip-tools runs from its own virtualenv inside .venv.
LOCK := CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/lock-tools/bin/pip-compile --quiet \
	--strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)
lock:
	$(PY) -m venv $(VENV)/lock-tools
	$(VENV)/lock-tools/bin/pip install --quiet pip-tools
	$(LOCK) -o requirements/run.txt setup.cfg
	$(LOCK) --extra test --extra dev --constraint requirements/run.txt \
		-o requirements/test.txt setup.cfg

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
