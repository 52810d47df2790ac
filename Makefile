# What people and CI run. `make demo` and `make test` install everything they need into .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= demo.duckdb
DEMO_DATA := data/demo/stackexchange-conlang-meta
DEMO_PORT ?= 8000
DEMO_EARLIER_RUNS := 2020-07-25T00:00:00Z 2020-08-18T00:00:00Z 2020-08-24T00:00:00Z
# The demo site was busy in early 2018 and quiet since: with the default 14-day half-life,
# decay erases almost every reaction and most accounts score 1. A half-life suited to the
# site's pace (what `sway score` suggests on it) spreads the scores as the calibration intends
# (README, "Quick start").
DEMO_SCORE := --window 3y -p half_life_days=130

.PHONY: install demo test lint format bench docs clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

demo: install
	rm -f $(DEMO_DB) $(DEMO_DB).wal $(DEMO_DB).audit*
	$(BIN)/sway --db $(DEMO_DB) ingest $(DEMO_DATA)
	$(BIN)/sway --db $(DEMO_DB) stats
	# Earlier runs first, so that the dashboard's history and day/week/month changes show something.
	for as_of in $(DEMO_EARLIER_RUNS); do $(BIN)/sway --db $(DEMO_DB) score -q $(DEMO_SCORE) --as-of $$as_of; done
	$(BIN)/sway --db $(DEMO_DB) score $(DEMO_SCORE)
	$(BIN)/sway --db $(DEMO_DB) top --limit 20
	$(BIN)/sway --db $(DEMO_DB) topics compute
	@key=$$($(BIN)/sway --db $(DEMO_DB) apikey create --name demo-dashboard --scope read --scope crm) && \
	  printf '\nDashboard: http://127.0.0.1:%s/\nAPI key:   %s   (log in with it; it also works as X-API-Key)\n\n' '$(DEMO_PORT)' "$$key" && \
	  exec $(BIN)/sway --db $(DEMO_DB) serve --port $(DEMO_PORT)

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

docs: install
	$(BIN)/python -m sway.clidoc --write README.md

bench: install
	$(BIN)/python benchmarks/bench_ingest.py --events 1000000
	$(BIN)/python benchmarks/bench_importers.py
	$(BIN)/python benchmarks/bench_score.py synthetic --events 1000000
	$(BIN)/python benchmarks/bench_score.py graph --events 1000000
	$(BIN)/python benchmarks/bench_api.py --only crm

clean:
	rm -rf $(VENV) $(DEMO_DB) $(DEMO_DB).wal .pytest_cache .mypy_cache .ruff_cache
