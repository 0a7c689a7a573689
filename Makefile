# QSMO Performance Platform — the commands a newcomer needs.
#   make up      start Kafka, the store and every service in the background (.local/)
#                (and the event simulator; make up SIMULATE=0 starts without it)
#   make down    stop all of it          make clean   also delete .local/ data
#   make groups  Kafka consumer groups of make up's stack: offsets and lag per partition
#                (make groups GROUP=measures: one group; make groups JSON=1: as JSON)
#   make dlq     the newest dead letters (reason, original bytes); make dlq LIMIT=100 JSON=1
#   make token   a sign-in token from make up's OpenID provider (make token AS=dev-admin)
#   make test    run the whole suite on its own ports (needs nothing running)
#   make lint    ruff, mypy, import contracts           make bench   benchmarks → docs/benchmarks.md
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
STACK  := deploy/local/qsmo_stack.py
SERVICES ?= all
SIMULATE ?= 1
GROUP ?=
JSON ?=
AS ?= dev-viewer
PYTEST_ARGS ?=

.PHONY: install up down clean status keys groups dlq token test unit lint format bench

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (found " + sys.version.split()[0] + ")")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

up: install
	SIMULATE=$(SIMULATE) $(BIN)/python $(STACK) up --services $(SERVICES)

down:
	@if [ -x $(BIN)/python ]; then $(BIN)/python $(STACK) down; else $(PYTHON) $(STACK) down; fi

keys: install
	$(BIN)/python $(STACK) keys

groups: install
	@$(BIN)/python $(STACK) groups $(if $(GROUP),--group $(GROUP)) $(if $(JSON),--json)

dlq: install
	@$(BIN)/python $(STACK) dlq $(if $(LIMIT),--limit $(LIMIT)) $(if $(JSON),--json)

token: install
	@$(BIN)/python $(STACK) token --user $(AS)

status:
	@$(PYTHON) $(STACK) status

clean: down
	rm -rf .local

test: install
	$(BIN)/python $(STACK) prepare
	$(BIN)/python -m pytest $(PYTEST_ARGS)

unit: install
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	@test -z "$$(gofmt -l deploy/local/ferretdb)" || { gofmt -d deploy/local/ferretdb; exit 1; }

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	gofmt -w deploy/local/ferretdb

bench: install
	$(BIN)/python $(STACK) prepare
	$(BIN)/python -m bench
