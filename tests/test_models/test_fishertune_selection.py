"""FisherTune tests that a wrong implementation fails: the elements it tunes are the ones with the
highest DR-FIM computed here from the paper's formulas (not by the selection code), and the
estimation feeds the perturbed x' in every path, the same x' to both members of an antithetic
pair."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from deft_mmseg.models.fishertune.artifact_format import ARTIFACT_FORMAT, ARTIFACT_VERSION
from repo_paths import REPO

TINY = osp.join(REPO, 'configs', '_base_', 'models', 'fishertune_vit_tiny_demo.py')


def build(**fishertune):
    cfg = Config.fromfile(TINY).model
    cfg.fishertune.update(fishertune)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def empirical_artifact(model, seed=0, weight=0.5):
    """Fisher diagonals on x and x' drawn at random (an estimate whose ranking is known)."""
    g = torch.Generator().manual_seed(seed)
    params = model.candidate_parameters()
    src = {n: torch.rand(p.shape, generator=g) for n, p in params.items()}
    pert = {n: torch.rand(p.shape, generator=g) for n, p in params.items()}
    meta = dict(
        method='empirical',
        kind='fisher',
        gamma=1e-9,
        tau=1e-3,
        domain_weight=weight,
        iters=1,
        perturb_at='vit.patch_embed',
        noise_std=1.0,
        **model.candidate_meta())
    return dict(
        format=ARTIFACT_FORMAT, version=ARTIFACT_VERSION, meta=meta, source=src, perturbed=pert)


def expected_top(model, artifact, score, k):
    """The k eligible (name, flat index) with the highest score, from Eq. 5 and Eq. 7 written
    here: F = F(x); Delta F = |F(x) - F(x')| / (min(F(x), F(x')) + 1e-8); DRF = F + w Delta F."""
    w = artifact['meta']['domain_weight']
    entries = []
    for r in model.rows:  # the candidate rows (Eq. 3 groups) of each weight
        f = artifact['source'][r.name][r.start:r.end].flatten().tolist()
        fp = artifact['perturbed'][r.name][r.start:r.end].flatten().tolist()
        row_len = artifact['source'][r.name][0].numel()
        for j, (a, b) in enumerate(zip(f, fp)):
            delta = abs(a - b) / (min(a, b) + 1e-8)
            value = {'fisher': a, 'delta_fisher': delta, 'drf': a + w * delta}[score]
            entries.append((value, r.name, r.start * row_len + j))
    entries.sort(key=lambda e: -e[0])
    return {(name, index) for _, name, index in entries[:k]}


@pytest.mark.parametrize('score', ['drf', 'fisher', 'delta_fisher'])
def test_tuned_elements_are_the_highest_scores_computed_independently(score):
    model = build(score=score, balance='none')
    artifact = empirical_artifact(model)
    params = model.candidate_parameters()
    before = {n: p.detach().clone() for n, p in params.items()}
    optimizer = torch.optim.SGD(list(params.values()), lr=1.0)
    model.start_tuning(artifact, [optimizer])
    k = 257
    model.sparse_mask.select(k)
    selected = {(n, int(i))
                for n, m in model.sparse_mask.masks.items()
                for i in m.flatten().nonzero().flatten()}
    assert selected == expected_top(model, artifact, score, k)
    # and training moves exactly those: a step with a gradient on every element
    sum(p.sum() for p in params.values()).backward()
    optimizer.step()
    changed = {(n, int(i))
               for n, p in params.items()
               for i in (p.detach() != before[n]).flatten().nonzero().flatten()}
    assert changed == selected


def demo_batch(model, size=32, n=2):
    g = torch.Generator().manual_seed(1)
    samples = []
    for _ in range(n):
        s = SegDataSample(
            gt_sem_seg=PixelData(data=torch.randint(0, 19, (1, size, size), generator=g)))
        s.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size), pad_shape=(size, size)))
        samples.append(s)
    inputs = [
        torch.randint(0, 256, (3, size, size), generator=g, dtype=torch.uint8) for _ in range(n)
    ]
    data = model.data_preprocessor(dict(inputs=inputs, data_samples=samples), True)
    return data['inputs'], data['data_samples']


@pytest.mark.parametrize('method,curvature', [('variational', 'fisher'), ('variational', 'hessian'),
                                              ('empirical', 'fisher')])
def test_estimation_sees_the_perturbed_x_prime_and_one_x_prime_per_pair(method, curvature):
    """The tokens entering the first ViT layer, recorded during estimation with whether the
    perturbation is attached to its site: x' is used in every path and differs from x; within
    one variational step both members of an antithetic pair see the same x' (the whole batch for
    ``curvature='hessian'``, each sample for ``'fisher'``), and every step draws a new one."""
    model = build(estimator=dict(method=method, antithetic=True, curvature=curvature))
    site = model.backbone.vit.patch_embed
    baseline_hooks = len(site._forward_hooks)
    batch = demo_batch(model)
    size = batch[0].shape[0]
    records = []

    def record(_, args):
        records.append((len(site._forward_hooks) > baseline_hooks, args[0].detach().clone()))

    handle = model.backbone.vit.layers[0].register_forward_pre_hook(record)
    try:
        model.estimate_sensitivity(lambda: batch, 2, log=lambda *_: None)
    finally:
        handle.remove()
    clean = [t for attached, t in records if not attached]
    perturbed = [t for attached, t in records if attached]
    assert clean and perturbed, 'both x and x\' must be evaluated'
    for p in perturbed:
        assert all(p.shape != c.shape or not torch.equal(p, c) for c in clean), \
            "an x' evaluation saw the unperturbed features"
    if method == 'empirical':
        return
    if curvature == 'hessian':  # whole-batch evaluations: [+, -] per step
        steps = [perturbed[0:2], perturbed[2:4]]
        for plus, minus in steps:
            assert torch.equal(plus, minus), "the members of an antithetic pair saw different x'"
        assert not torch.equal(steps[0][0], steps[1][0]), "every step draws a new x'"
    else:  # per-sample evaluations (a batch-statistics forward precedes each sign's pass)
        single = [t for t in perturbed if t.shape[0] == 1]
        assert len(single) == 2 * 2 * size  # 2 steps x 2 signs x samples
        for step in range(2):
            plus = single[step * 2 * size:step * 2 * size + size]
            minus = single[step * 2 * size + size:(step + 1) * 2 * size]
            for a, b in zip(plus, minus):
                assert torch.equal(a, b), "the members of an antithetic pair saw different x'"
        assert not torch.equal(single[0], single[2 * size]), "every step draws a new x'"
