# Two commands do everything:  `make demo`  and  `make test`  (both create .venv first when it is missing).
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

# The embedded dataset: 500 procedurally generated chairs in the R2N2 layout (built once, a few minutes).
data: venv
	@test -f $(DATA)/split_03001627.json || $(PY) make_synthetic_dataset.py --out $(DATA)

# The main job at a CPU budget: the three fits of writeup section 1.
demo: data
	$(PY) fit_data.py --type vox --save_dir $(DEMO)/fit --save_predictions --save_visualizations
	$(PY) fit_data.py --type point --save_dir $(DEMO)/fit --save_predictions --save_visualizations
	$(PY) fit_data.py --type mesh --save_dir $(DEMO)/fit --save_predictions --save_visualizations
	@echo "Demo results are in $(DEMO)/: fit/ (fitted shapes, source|target pictures and GIFs)"

test: venv
	$(PY) -m pytest -q tests

clean-demo:
	rm -rf $(DEMO)
