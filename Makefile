# Set-up for deft_mmseg. `make demo` and `make test` create or reuse a virtual environment at .venv/
# with the real OpenMMLab stack, then run the demo or the tests. Re-running is fast: the install step
# only runs again when setup.py or requirements/*.txt change.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.deft_mmseg_installed
MINI_DG_DIR ?= work_dirs/mini_dg
MINI_DG_SIM2REAL_DIR ?= work_dirs/mini_dg_sim2real
MINI_DG_SIM2REAL_VIT_DIR ?= work_dirs/mini_dg_sim2real_vit

.PHONY: install demo demo-sim2real-train demo-streets demo-compare test test-slow test-all benchmark format

install: $(STAMP)

$(STAMP): setup.py requirements/stack.txt requirements/openmmlab.txt requirements/tests.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch (standard build, see requirements/stack.txt for why `===`), torchvision, numpy, opencv
	$(PIP) install -r requirements/stack.txt
	# mmcv 2.1.0 has no wheel for torch 2.13: build it with its compiled ops (CPU), once; pip caches it.
	@if $(PY) -c "import mmcv, mmcv.ops; assert mmcv.__version__ == '2.1.0'" >/dev/null 2>&1; then \
	    echo "mmcv 2.1.0 with ops already installed"; \
	else \
	    $(PIP) install "setuptools<70" wheel ninja psutil && \
	    MMCV_WITH_OPS=1 FORCE_CUDA=0 $(PIP) install --no-build-isolation mmcv==2.1.0; \
	fi
	# torch itself asks for setuptools>=77; mmcv's build needed <70 only while it compiled. <81:
	# mmengine resolves `mmseg::`/`deft_mmseg::` config references with pkg_resources (gone in 81).
	$(PIP) install "setuptools>=77,<81" -r requirements/openmmlab.txt -r requirements/tests.txt
	$(PIP) install --no-deps --no-build-isolation -e .
	$(PY) -c "import deft_mmseg, mmcv.ops, mmseg, mmdet, mmpretrain; print('deft_mmseg stack OK')"
	@touch $(STAMP)

# The point of DeFT in a few minutes on CPU, under the sim2real protocol (docs/mini_dg_sim2real.md): the
# recorded LP-FT and DeFT runs (benchmarks/results/mini_dg_sim2real, copied into MINI_DG_SIM2REAL_DIR
# without overwriting anything there), seed 0's exported final models re-tested on every image of
# the three real targets against their recorded mIoU, the paired difference DeFT - LP-FT with its
# spread, the table, and the picture (image, ground truth, LP-FT, DeFT per target; distance curves).
# A seed without both recorded rows is trained (about an hour per seed on 2 cores). Then the same for
# the ViT group (the tiny R-pretrained ViT as the encoder; benchmarks/results/mini_dg_sim2real_vit).
demo: $(STAMP)
	$(PY) benchmarks/mini_dg.py --protocol sim2real --demo --out $(MINI_DG_SIM2REAL_DIR)
	$(PY) benchmarks/mini_dg.py --protocol sim2real-vit --demo --out $(MINI_DG_SIM2REAL_VIT_DIR)

# The whole sim2real comparison from scratch: LP-FT and DeFT on the protocol's 5 seeds (hours on CPU).
demo-sim2real-train: $(STAMP)
	$(PY) benchmarks/mini_dg.py --protocol sim2real --methods lpft deft --out $(MINI_DG_SIM2REAL_DIR)-train

# The first miniature protocol (streets, docs/benchmarks.md): joint finetuning after the warm-up and
# DeFT on the demo data's three transforms of the source (about 40 minutes on 2 cores).
demo-streets: $(STAMP)
	$(PY) tools/make_demo_data.py data/demo
	$(PY) benchmarks/mini_dg.py --methods lpft deft --seeds 0 --out $(MINI_DG_DIR)

# The whole miniature DG benchmark: every method, 3 seeds (about 75 minutes on 2 cores).
demo-compare: $(STAMP)
	$(PY) tools/make_demo_data.py data/demo
	$(PY) benchmarks/mini_dg.py --seeds 0 1 2 --out $(MINI_DG_DIR)

# The default test run (CI): everything but the tests marked `slow`, on two worker processes
# (pytest-xdist; CI has 2 cores; tests/conftest.py gives each worker one torch thread). Tests
# that take long go to the idle worker (worksteal); every test builds what it needs, so no test
# depends on another having run in the same process.
test: $(STAMP)
	$(PY) -m pytest tests -m "not slow" -q -n 2 --dist worksteal

# Slower end-to-end checks (multi-process DDP, long resumes, every config): documented in README.
test-slow: $(STAMP)
	$(PY) -m pytest tests -m slow -q

test-all: $(STAMP)
	$(PY) -m pytest tests -q

benchmark: $(STAMP)
	$(PY) benchmarks/deft_step.py
	$(PY) benchmarks/fishertune_step.py
	$(PY) benchmarks/fishertune_estimate.py --part small
	$(PY) benchmarks/amp_cpu.py

# Code style (setup.cfg: isort, then yapf, mmsegmentation's settings at line length 100);
# tests/test_package/test_code_style.py checks that nothing is left to change.
FORMATTED := deft_mmseg tools tests benchmarks configs setup.py
format: $(STAMP)
	$(PY) -m isort $(FORMATTED)
	$(PY) -m yapf -i -r -p $(FORMATTED)
