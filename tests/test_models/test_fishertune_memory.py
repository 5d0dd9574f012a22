"""The memory of FisherTune's DR-FIM estimation, bounded per candidate element.

The estimator's tensors are counted by a dispatch mode written here (every storage a torch
operation allocates, alive or freed, and the peak of their sum), not by the estimator; the bound
is the list of state tensors of docs/fishertune.md ("Memory of the estimation") written out by
hand. A model with many candidate elements and few activations (a 96-wide ViT on 32-pixel images
with the DeepLabv3+ head) makes the state the bulk of the peak."""
import json
import os.path as osp
import subprocess
import sys
import weakref

import pytest
import torch
from mmseg.registry import MODELS
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

from deft_mmseg.models.fishertune.candidates import CandidateLayout
from deft_mmseg.models.fishertune.estimator import DRFIMEstimator
from deft_mmseg.models.fishertune.fisher import add_squared_gradients
from deft_helpers import batch
from repo_paths import REPO
from test_fishertune import tiny_fishertune_cfg

#: bytes per candidate element (float32 unless said)
VARIATIONAL_STATE = (
    2 * (4 + 4 + 4)  # two posteriors (x, x'): log Lambda and Adam's two moments
    + 2 * 4  # their iterate averages
    + 4  # the sampled weights of the step (the parameters' dtype, float32 here)
    + 4  # the Fisher accumulator of the step, which becomes the gradient in place
    + 2 * 4)  # the finished first chain's mean log Lambda on x and x'
EMPIRICAL_STATE = 2 * 4  # the squared-gradient sums on x and x'
#: the implementation before the bound measured 76.5 (variational), 16.0 (empirical) and, with
#: groups ('q', 'v'), 122.7 bytes per candidate element here


class PeakLiveBytes(TorchDispatchMode):
    """Bytes of the storages that torch operations allocate inside the mode: ``peak`` is the
    largest sum alive at once. Storages that existed before (parameters), and views of any
    input, are not counted."""

    def __init__(self):
        super().__init__()
        self.live, self.current, self.peak = {}, 0, 0

    def _free(self, key):
        self.current -= self.live.pop(key)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        inputs = {
            t.untyped_storage().data_ptr()
            for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)
        }
        out = func(*args, **kwargs)
        for tensor in tree_leaves(out):
            if not isinstance(tensor, torch.Tensor):
                continue
            storage = tensor.untyped_storage()
            key = storage.data_ptr()
            if key in inputs or key in self.live or storage.nbytes() == 0:
                continue
            self.live[key] = storage.nbytes()
            self.current += storage.nbytes()
            self.peak = max(self.peak, self.current)
            weakref.finalize(storage, self._free, key)
        return out


def test_the_tracker_counts_new_storages_and_their_release():
    """The reference tracker itself: a new tensor counts, a view of it does not, a freed one
    leaves the current sum, the peak stays."""
    base = torch.zeros(1000)
    with PeakLiveBytes() as tracker:
        a = torch.ones(1000)
        view = a[:10]  # noqa: F841
        view_of_old = base[:500]  # noqa: F841
        b = a * 2
        del b
        c = torch.empty(250)  # noqa: F841
    assert tracker.peak == 8000
    assert tracker.current == 5000


def _wide_tiny_model(method, groups):
    """The tiny DeepLabv3+ FisherTune model with a 96-wide, 4-block ViT on 32-pixel images:
    408,576 Q/K/V/FFN elements against activations of 16 tokens."""
    cfg = tiny_fishertune_cfg(
        'deeplabv3plus',
        estimator=dict(method=method, log_interval=10**6),
        groups=groups,
        delta_min=0.01,
        delta_max=0.01)
    cfg.backbone.vit.update(
        arch=dict(embed_dims=96, num_layers=4, num_heads=2, feedforward_channels=384), img_size=32)
    cfg.neck.in_channels = [96] * 4
    torch.manual_seed(0)
    return MODELS.build(cfg)


def _unit_of_work_peak(model, inputs, samples):
    """Peak bytes of one sample's forward and backward (to the input: no parameter gradient is
    kept), the activations any estimator pays on top of its state."""
    model.eval()
    with model.full_loss_mode(), PeakLiveBytes() as tracker:
        x = inputs[:1].clone().requires_grad_(True)
        torch.autograd.grad(DRFIMEstimator._loss(model, x, samples[:1]), x)
    model.train()
    return tracker.peak


@pytest.mark.parametrize('method,groups,per_element', [
    ('variational', ('q', 'k', 'v', 'ffn'), VARIATIONAL_STATE),
    ('empirical', ('q', 'k', 'v', 'ffn'), EMPIRICAL_STATE),
    ('variational', ('q', 'v'), VARIATIONAL_STATE),
])
def test_estimation_peak_is_its_state_per_candidate_element(method, groups, per_element):
    """Peak bytes the estimation allocates (4 batches: two chains of two steps, so that every
    state tensor exists when the second chain's x' step runs, the first chain's result
    waiting) <= the hand-written state per candidate element (48 bytes variational, 8
    empirical) + one sample's activations + a few copies of the largest parameter (per-tensor
    temporaries). With groups ('q', 'v') the fused qkv keeps state for its Q and V rows only.
    Full-size temporaries (all gradients at once, a copy of every state tensor) fail it."""
    model = _wide_tiny_model(method, groups)
    n = model.num_candidates
    params = model.candidate_parameters()
    largest = max(p.numel() for p in params.values()) * 4
    batches = [batch(n=1, size=32, seed=s) for s in range(4)]  # per-sample work: n=1 suffices
    activations = _unit_of_work_peak(model, *batches[0])
    sample = {name: torch.arange(0, 3) for name in params}  # few sampled elements
    stream = iter(batches)
    with PeakLiveBytes() as tracker:
        model.estimator.estimate(model, lambda: next(stream), 4, log=lambda *_: None, sample=sample)
    bound = per_element * n + activations + 4 * largest
    assert tracker.peak <= bound, (
        f'{tracker.peak / n:.1f} bytes per candidate element, bound {bound / n:.1f}')
    # the state is there: the tracker sees the estimator's tensors
    assert tracker.peak >= per_element * n


def test_layout_keeps_the_candidate_rows():
    """CandidateLayout on hand-written row ranges: compact rows, full-shape expansion with a
    fill, flat-index mapping and row replacement."""
    full = torch.arange(6 * 2, dtype=torch.float32).view(6, 2)
    layout = CandidateLayout({'w': (6, 2)}, {'w': [(4, 6), (0, 2), (1, 2)]})  # merged: 0-2, 4-6
    assert layout.ranges['w'] == ((0, 2), (4, 6)) and layout.numel() == 8
    compact = layout.compact('w', full)
    torch.testing.assert_close(compact, full[[0, 1, 4, 5]])
    expanded = layout.expand('w', compact, -1.0)
    torch.testing.assert_close(
        expanded, torch.tensor([[0., 1], [2, 3], [-1, -1], [-1, -1], [8, 9], [10, 11]]))
    # flat index 9 = row 4, column 1 -> compact row 2, column 1 -> 5
    assert layout.compact_index('w', torch.tensor([0, 3, 9])).tolist() == [0, 3, 5]
    replaced = layout.with_rows('w', full, torch.zeros(4, 2))
    torch.testing.assert_close(replaced,
                               torch.tensor([[0., 0], [0, 0], [4, 5], [6, 7], [0, 0], [0, 0]]))
    whole = CandidateLayout({'w': (6, 2)})
    assert whole.is_whole('w') and whole.compact('w', full) is full


def test_streamed_squared_gradients_equal_autograd_and_keep_existing_grads():
    """add_squared_gradients (one gradient alive at a time) gives exactly the squares of
    torch.autograd.grad's gradients, touches no other tensor's .grad and puts back a .grad the
    tensor held."""
    torch.manual_seed(0)
    w1 = torch.randn(4, 3, requires_grad=True)
    w2 = torch.randn(3, requires_grad=True)
    other = torch.randn(3, requires_grad=True)
    x = torch.randn(5, 4)

    def loss():
        return ((torch.tanh(x @ w1) * w2 + other)**2).sum()

    g1, g2 = torch.autograd.grad(loss(), [w1, w2])
    held = torch.full((3, ), 7.0)
    w2.grad = held
    sums = {'a': torch.zeros(4, 3), 'b': torch.zeros(3)}
    add_squared_gradients(loss(), {'a': w1, 'b': w2}, sums)
    assert torch.equal(sums['a'], g1 * g1) and torch.equal(sums['b'], g2 * g2)
    assert w1.grad is None and other.grad is None and w2.grad is held
    # with a layout: rows 1-2 of w1 only
    layout = CandidateLayout({'a': (4, 3)}, {'a': [(1, 3)]})
    rows = {'a': torch.zeros(2, 3)}
    add_squared_gradients(loss(), {'a': w1}, rows, layout)
    assert torch.equal(rows['a'], (g1 * g1)[1:3])


def test_rows_outside_the_groups_are_not_estimated():
    """groups=('q', 'v'): the artifact keeps the parameters' shapes; K rows of the fused qkv hold
    the prior's precision (the Fisher information 0), Q and V rows are estimated."""
    model = _wide_tiny_model('variational', ('q', 'v'))
    stream = iter([batch(n=2, size=32, seed=s) for s in range(2)])
    artifact = model.estimate_sensitivity(lambda: next(stream), 2, log=lambda *_: None)
    tau = model.estimator.tau
    for r in model.rows:
        assert r.group in ('q', 'v')
    name = 'backbone.vit.layers.0.attn.qkv.weight'
    precision = artifact['source'][name]
    assert precision.shape == (3 * 96, 96)
    assert torch.equal(precision[96:192], torch.full((96, 96), tau**-2))
    assert not torch.equal(precision[:96], torch.full((96, 96), tau**-2))


BENCHMARK = osp.join('benchmarks', 'fishertune_memory.py')


def test_memory_benchmark_refuses_a_config_that_is_not_fishertune_in_process(capsys, monkeypatch):
    """In-process (the shell contract below runs under ``slow``): a config of another method gets
    one line naming the problem, exit 2, before anything is built."""
    import importlib.util
    monkeypatch.syspath_prepend(osp.join(REPO, 'benchmarks'))  # its bench_utils, as a script
    spec = importlib.util.spec_from_file_location('fishertune_memory', osp.join(REPO, BENCHMARK))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    with pytest.raises(SystemExit) as exit_info:
        bench.model_and_data_cfg(
            osp.join(REPO, 'configs', 'rein', 'rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py'),
            'base')
    assert exit_info.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith('error: ') and 'not a FisherTune config' in \
        lines[0]


@pytest.mark.slow
def test_memory_benchmark_refuses_a_config_that_is_not_fishertune():
    """From a shell: a config of another method gets one line naming the problem, exit 2."""
    result = subprocess.run([
        sys.executable, BENCHMARK, '--config',
        osp.join('configs', 'rein', 'rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py')
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=120)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith('error: ') and 'not a FisherTune config' in \
        lines[0], result.stderr[-2000:]


@pytest.mark.slow
def test_memory_benchmark_runs_from_a_shell(tmp_path):
    """The benchmark as docs/fishertune.md shows it, at the tiny width and a small crop: it
    reports the figures of a run with both chains."""
    out = tmp_path / 'memory.json'
    result = subprocess.run([
        sys.executable, BENCHMARK, '--width', 'tiny', '--crop', '64', '--batch', '1', '--json',
        str(out)
    ],
                            cwd=REPO,
                            capture_output=True,
                            text=True,
                            timeout=1200)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'B per candidate element' in result.stdout
    figures = json.load(open(out))
    assert figures['iters'] == 4 and figures['crop'] == 64 and figures['device'] == 'cpu'
    assert figures['rss_peak'] >= figures['rss_unit_peak'] >= figures['rss_model'] > 0
    assert figures['rss_ratio'] == pytest.approx(figures['rss_peak'] / figures['param_bytes'])
    assert figures['candidates'] > 0 and 'cuda' not in figures
