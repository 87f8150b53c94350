# Two commands for a newcomer: `make demo` builds the environment and publishes the example
# reports; `make test` builds the environment and runs the whole test suite (CI runs it too).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= reports

.PHONY: demo test test-fast install bench lint examples clean

$(BIN)/reportgen: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/reportgen

demo: install
	@# The credit model's approvals fail the four-fifths rule for applicants under 25 (AIR 0.78,
	@# the fair-lending gate) and its 80%-pruned edit fails gate E1: the report is published,
	@# the run exits 1, make goes on.
	-$(BIN)/reportgen run policies/credit.yaml --out $(OUT)
	$(BIN)/reportgen run examples/credit/transformer-policy.yaml --out $(OUT)
	$(BIN)/reportgen run policies/medical.yaml --out $(OUT)
	$(BIN)/reportgen run policies/medical-imaging.yaml --out $(OUT)
	@# The shortcut model's report fails check C8 on purpose: the run exits 1, make goes on.
	-$(BIN)/reportgen run examples/imaging/shortcut-policy.yaml --out $(OUT)
	@echo "Reports are under $(OUT)/ (open report.html or report.pdf in the newest v<N> folder)."

test: install
	$(BIN)/pytest -m "" -q

test-fast: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check reportgen tests examples bench
	$(BIN)/mypy reportgen
	$(BIN)/lint-imports

bench: install
	$(BIN)/python bench/bench_reports.py --baseline bench/baseline-98b47eb.json
	$(BIN)/python bench/bench_executors.py
	$(BIN)/python bench/bench_imaging_maps.py
	$(BIN)/python bench/bench_reason_notices.py
	$(BIN)/python bench/bench_gradients.py
	$(BIN)/python bench/bench_adapter.py
	$(BIN)/python bench/bench_pdf.py

examples: install
	$(BIN)/python examples/credit/train.py
	$(BIN)/python examples/credit/train_transformer.py
	$(BIN)/python examples/medical/train.py
	$(BIN)/python examples/imaging/make_data.py
	$(BIN)/python examples/imaging/train.py

clean:
	rm -rf $(VENV) $(OUT) rendered .pytest_cache
