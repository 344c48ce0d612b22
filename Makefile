# Two commands on a fresh machine: `make run` (install, ingest the default corpus, serve) and `make test`.
PY ?= python3
VENV ?= .venv
# The shared checkout when there is one, else where `legal-rag fetch` puts the statutes (corpus/fetch.py).
SHARED_CORPUS := ../shared/corpus/legalize-kr
FETCHED_CORPUS := corpus/legalize-kr
CORPUS ?= $(if $(wildcard $(SHARED_CORPUS)),$(SHARED_CORPUS),$(FETCHED_CORPUS))
# Court decisions (판례) beside the statutes when the shared sample is there; PRECEDENTS= leaves them out.
SHARED_PRECEDENTS := ../shared/corpus/precedent-kr-sample
PRECEDENTS ?= $(if $(wildcard $(SHARED_PRECEDENTS)),$(SHARED_PRECEDENTS),)
INDEX ?= index/default
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin

.PHONY: install system-deps run check-corpus ingest serve test lint

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

# Before installing anything: without statutes there is nothing to serve, so say how to get them.
check-corpus:
	@if [ ! -e "$(CORPUS)" ]; then \
	  echo "법령 코퍼스가 없습니다 / no statute corpus at $(CORPUS)."; \
	  echo "  - 네트워크가 되면 / with a network:  make install && .venv/bin/legal-rag fetch --clone   (writes $(FETCHED_CORPUS))"; \
	  echo "  - legalize-kr 사본이 있으면 / from a local legalize-kr checkout:  make run CORPUS=/path/to/legalize-kr"; \
	  echo "  - law.go.kr PDF 파일로 / from law.go.kr PDFs:  make run CORPUS=/path/to/pdfs   (see corpus/README.md)"; \
	  exit 1; \
	fi

ingest: check-corpus install
	$(BIN)/legal-rag ingest --corpus $(CORPUS) $(if $(PRECEDENTS),--precedents $(PRECEDENTS),) --out $(INDEX)

serve: install
	$(BIN)/legal-rag serve --index $(INDEX) --host $(HOST) --port $(PORT)

run: check-corpus ingest serve

test: install system-deps
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check legal_rag ingest app bench corpus tests
	$(BIN)/mypy legal_rag ingest app
