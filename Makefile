# Two commands set up everything on a fresh machine with Python >= 3.11 and make:
#   make demo   creates .venv (pip, pinned versions), runs the workflow on the demo data
#   make test   same environment, runs the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
CORES  ?= 2
# the demo runs in its own working folder with its own config, apart from your results/
DEMO   := $(BIN)/snakemake --directory demo --configfile config/demo.yaml

.PHONY: venv demo test lint format clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

demo: $(STAMP)
	$(DEMO) --cores $(CORES)
	$(DEMO) --cores 1 --report results/report.html
	@echo; echo "Binning of the demo sample against its true genomes (demo/results/evaluation/demo.tsv):"
	@grep -E "^(genomes|bins|fraction_bp_binned|ari|nmi|near_complete|kmeans_ari)" demo/results/evaluation/demo.tsv
	@echo; echo "The demo's outputs are in demo/results/, its report is demo/results/report.html"
	@echo "(README.md, 'Outputs'). Your own samples go into resources/fasta/: see 'Running on your data'."

# one worker per core; a test file's tests stay on one worker (they share module fixtures);
# the 15 slowest tests are listed at the end, to keep the suite within the CI budget
test: $(STAMP)
	$(BIN)/python -m pytest -n $(CORES) --dist loadfile --durations=15

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/snakefmt --check .
	$(BIN)/snakemake --lint

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/snakefmt .

clean:
	rm -rf results demo .snakemake
