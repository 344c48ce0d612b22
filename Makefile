# Two commands on a fresh machine: `make run` (install, ingest the default corpus, serve) and `make test`.
PY ?= python3
VENV ?= .venv
CORPUS ?= ../shared/corpus/legalize-kr
INDEX ?= index/default
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: install system-deps run ingest serve test lint

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first and pinned: 2.13.0 is the CPU build; an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[cpu,dev,bench]'
	touch $@

install: $(BIN)/.installed

system-deps:
	@bash scripts/system-deps.sh

ingest: install
	$(BIN)/legal-rag ingest --corpus $(CORPUS) --out $(INDEX)

serve: install
	$(BIN)/legal-rag serve --index $(INDEX) --host $(HOST) --port $(PORT)

run: ingest serve

test: install system-deps
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check legal_rag ingest app bench corpus tests
	$(BIN)/mypy legal_rag ingest app
