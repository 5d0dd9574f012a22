"""benchmarks/fishertune_estimate.py runs from a fresh shell as docs/fishertune.md shows it (at a
tiny length here) and reports every estimator against both exact references."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from repo_paths import REPO


@pytest.mark.slow  # a benchmark run (`make benchmark` runs it too)
def test_estimate_benchmark_small_part_runs_from_a_shell(tmp_path):
    out = tmp_path / 'figures.json'
    result = subprocess.run([
        sys.executable,
        osp.join('benchmarks', 'fishertune_estimate.py'), '--part', 'small', '--seeds', '2',
        '--small-iters', '80', '--json',
        str(out)
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert '(a) MLP 16-32-8, exact references' in result.stdout
    figures = json.load(open(out))['small']
    assert figures['info']['params'] == 808
    assert set(figures['rows']) == {'var-fisher', 'var-hessian', 'var-hessian-last', 'empirical'}
    for row in figures['rows'].values():
        for key in ('spearman_vs_exact_hessian', 'spearman_vs_exact_fisher', 'seed_overlap',
                    'step_s'):
            assert key in row
    # even at 10 batches the per-sample estimators rank like the exact Fisher
    assert figures['rows']['empirical']['spearman_vs_exact_fisher'] > 0.8
