# Two commands do everything:  `make demo`  and  `make test`  (both create .venv first when it is missing).
# `make demo` 30-42 minutes on 2 idle CPU cores with bfloat16 kernels, about 61 without (AVX2); `make test` about
# 5 minutes (README: Quick start). BUDGET=quick: every section in 20-25 minutes.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DATA := data/r2n2_synth
BUDGET ?= demo
DEMO := $(if $(filter demo,$(BUDGET)),demo_outputs,$(BUDGET)_outputs)
# CPU=avx2 runs the demo as a CPU without AVX-512 or bfloat16 kernels would (runtime.AVX2_ENV)
CPU_ENV := $(if $(filter avx2,$(CPU)),ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2)

.PHONY: venv data demo test clean-demo

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# The dataset. With R2N2_DATASET_DIR set (e.g. the real chairs), every script reads that folder and nothing is
# built; otherwise the embedded dataset: 500 procedurally generated chairs in the R2N2 layout (built once, 3-10 min).
data: venv
	@if [ -n "$$R2N2_DATASET_DIR" ]; then \
	  test -f "$$R2N2_DATASET_DIR/split_03001627.json" || { echo "error: R2N2_DATASET_DIR=$$R2N2_DATASET_DIR has no split_03001627.json; point it at the folder holding shapenet/, r2n2/ and the split file, or unset it"; exit 1; }; \
	  echo "dataset: $$R2N2_DATASET_DIR (from R2N2_DATASET_DIR; nothing to build)"; \
	else \
	  test -f $(DATA)/split_03001627.json || $(PY) make_synthetic_dataset.py --out $(DATA); \
	fi

# The main job at a CPU budget (30 minutes measured on 2 idle cores): report.py runs every section of the writeup
# through its own commands (fits, vox / point / mesh training and evaluation, baselines, the n_points study,
# GradCAM++, implicit and parametric models) and writes one page. `make demo STEPS=2000` trains longer;
# `make demo BUDGET=quick` is the shorter budget for CPUs without bfloat16 kernels (into quick_outputs/).
# R2N2_DATASET_DIR=/path/to/r2n2_shapenet_dataset make demo  runs it on that dataset (nothing is built).
STEPS ?=
demo: data
	$(CPU_ENV) $(PY) report.py --out $(DEMO) --budget $(BUDGET) $(if $(STEPS),--steps $(STEPS))
	@echo
	@echo "Demo results: $(DEMO)/index.html (open it in a browser; report.md is its markdown twin)"
	@echo "  $(DEMO)/output/        fits (writeup 1), GradCAM++ pictures (2.6), implicit and parametric runs (3)"
	@echo "  $(DEMO)/outputs/       vox / point / mesh checkpoints, loss curves, training pictures (2.1-2.5)"
	@echo "  $(DEMO)/test_outputs/  metrics_*.json, F1 curves, Input|Prediction|Target pictures, baselines"
	@echo "  $(DEMO)/logs/          the log of every stage; rerun make demo to continue after Ctrl-C"

# One pytest worker per core, a test file per worker (its fixtures are built once), one torch thread per worker;
# the tiny datasets' caches are built in the worker's own process with one libigl thread (tests of the pool ask for
# one). Scripts are forked from a process that imported torch once (launcher.py, tests/conftest.py). The tests that
# train on two threads share the cores with the other worker: OpenMP threads that sleep instead of spinning while
# they wait take such a run from 21 s to 9.5 s, with bitwise the same weights.
test: venv
	OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE IGL_NUM_THREADS=1 R2N2_CACHE_WORKERS=1 $(PY) -m pytest -q -n auto --dist loadfile --durations=15 tests

clean-demo:
	rm -rf $(DEMO)
