# Two commands do everything:  `make demo`  and  `make test`  (both create .venv first when it is missing).
# Measured on 2 shared CPU cores: `make demo` about 35 minutes, `make test` about 8 minutes (README: Quick start).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DATA := data/r2n2_synth
DEMO := demo_outputs

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

# The main job at a CPU budget (about 35 minutes wall on 2 shared cores): the three fits of writeup section 1,
# then image -> voxel / point / mesh / implicit / parametric models trained for STEPS steps each, evaluated
# on the test split, and compared in one table and one F1 plot. `make demo STEPS=10000 BATCH=32` for more.
# R2N2_DATASET_DIR=/path/to/r2n2_shapenet_dataset make demo  runs it on that dataset (the scripts read the
# variable, which make passes through).
STEPS ?= 200
BATCH ?= 16
WORKERS ?= 2
TRAIN := --id demo --output_dir $(DEMO)/outputs --max_iter $(STEPS) --batch_size $(BATCH) --num_workers $(WORKERS) --save_freq 250 --vis_freq 250
EVAL := --id demo --output_dir $(DEMO)/test_outputs --vis_freq 15

demo: data
	$(PY) fit_data.py --type vox --save_dir $(DEMO)/fit --save_predictions --save_visualizations
	$(PY) fit_data.py --type point --save_dir $(DEMO)/fit --save_predictions --save_visualizations
	$(PY) fit_data.py --type mesh --save_dir $(DEMO)/fit --save_predictions --save_visualizations
	for t in vox point mesh; do \
	  $(PY) train_model.py --type $$t $(TRAIN) && \
	  $(PY) eval_model.py --type $$t $(EVAL) --checkpoint_path $(DEMO)/outputs/demo/checkpoint_$$t.pth || exit 1; \
	done
	$(PY) q3_train_implicit.py $(TRAIN) --num_points_to_sample 1024
	$(PY) eval_q3.py --model_type occupancy --type vox $(EVAL) --checkpoint_path $(DEMO)/outputs/demo/checkpoint_implicit.pth
	$(PY) q3_train_parametric.py --type point --model_type parametric $(TRAIN)
	$(PY) eval_q3.py --model_type parametric --type point $(EVAL) --checkpoint_path $(DEMO)/outputs/demo/checkpoint_parametric.pth
	$(PY) compare.py $(DEMO)/test_outputs/demo/metrics_*.json --out $(DEMO)/comparison \
	  --title "avg F1 vs threshold, $(if $(R2N2_DATASET_DIR),$(notdir $(abspath $(R2N2_DATASET_DIR))),embedded) test split, $(STEPS) steps x batch $(BATCH)"
	@echo
	@echo "Demo results are in $(DEMO)/:"
	@echo "  fit/                 fitted shapes, source|target pictures and turntable GIFs (writeup section 1)"
	@echo "  outputs/demo/        checkpoints, loss curves and training pictures"
	@echo "  test_outputs/demo/   metrics_*.json, F1 curves and input|prediction|ground-truth pictures"
	@echo "  comparison/          comparison.md (avg F1@0.05 per representation) and f1_curves.png"

test: venv
	$(PY) -m pytest -q tests

clean-demo:
	rm -rf $(DEMO)
