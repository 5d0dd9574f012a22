#!/usr/bin/env bash
# The oldest supported OpenMMLab versions (deft_mmseg/version.py, SUPPORTED_VERSIONS), each put in
# front of the installed stack and run against a part of the test suite that uses it.
#   .ci/check_versions.sh            # every combination below
# Needs network access to PyPI (pure-Python wheels, installed with --target into /tmp, nothing in
# .venv changes). mmcv is compiled, so only the installed 2.1.0 is checked. Results: docs/install.md.
# (mmsegmentation 1.2.0's wheel lacks mmseg/utils/bpe_simple_vocab_16e6.txt.gz: `import mmseg.utils`
# fails, so 1.2.1 is the oldest usable 1.2 release.)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
TESTS=${TESTS:-"tests/test_e2e_demo.py tests/test_rein.py tests/test_stage_schedules.py tests/test_package_import.py tests/test_metric.py"}
run() {  # run NAME SPEC...
    local name=$1; shift
    local target=/tmp/deft_mmseg_versions/$name
    rm -rf "$target"
    "$PY" -m pip install -q --no-deps --target "$target" "$@"
    echo "== $* (plus the installed rest)"
    PYTHONPATH="$target:$PWD" "$PY" -c "import mmengine, mmseg, mmdet, mmpretrain, mmcv; print('running on mmengine', mmengine.__version__, 'mmseg', mmseg.__version__, 'mmdet', mmdet.__version__, 'mmpretrain', mmpretrain.__version__, 'mmcv', mmcv.__version__)"
    PYTHONPATH="$target:$PWD" "$PY" -m pytest -q -m "not slow" -p no:cacheprovider $TESTS \
        | tail -1
}
run oldest_mmengine "mmengine==0.10.5"
run oldest_mmseg "mmsegmentation==1.2.1"
run oldest_mmdet_mmpretrain "mmdet==3.2.0" "mmpretrain==1.1.0"
run oldest_all "mmengine==0.10.5" "mmsegmentation==1.2.1" "mmdet==3.2.0" "mmpretrain==1.1.0"
