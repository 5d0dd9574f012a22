"""FisherTune (paper 003): Fisher diagonal, Eq. 5/7/13/14/15 arithmetic, Eq. 16 schedule, masked
updates, the ViT-L trainable count, and the sensitivity file."""
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmseg.registry import MODELS

from deft_mmseg.engine.fishertune_artifact import load_artifact, save_artifact
from deft_mmseg.models.fishertune import (DiagonalFisher, DRFIMEstimator, FeatureStatsPerturbation,
                                          SparseParameterMask, VariationalPrecision,
                                          artifact_scores, block_group_summary, delta_fisher,
                                          drf_from_fisher, drf_from_precisions,
                                          fisher_from_precision, selected_fraction)
from deft_mmseg.utils.errors import SensitivityConfigError
from deft_helpers import batch
from repo_paths import config_path


def tiny_fishertune_cfg(head='mask2former', **fishertune):
    """The tiny FisherTune demo model; ``head='deeplabv3plus'`` gives a deterministic loss
    (Mask2Former's loss samples random points)."""
    if head == 'deeplabv3plus':
        cfg = Config.fromfile(
            config_path('_base_', 'models', 'vfm_vit_tiny_deeplabv3plus_demo.py')).model
        method = Config.fromfile(config_path('_base_', 'models', 'fishertune_method.py'))
        cfg.update(type=method.fishertune_model.type, fishertune=method.fishertune_model.fishertune)
        cfg.backbone.freeze_vit = False
    else:
        cfg = Config.fromfile(config_path('_base_', 'models', 'fishertune_vit_tiny_demo.py')).model
    cfg.data_preprocessor = None
    cfg.fishertune.update(fishertune)
    return cfg


def build_tiny(head='mask2former', **fishertune):
    torch.manual_seed(0)
    return MODELS.build(tiny_fishertune_cfg(head, **fishertune))


# ---- Eq. 9: the Fisher diagonal is the mean of squared per-sample gradients --------------------
class _TinyClassifier(nn.Module):

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(5, 7)
        self.fc2 = nn.Linear(7, 3)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


def test_fisher_diagonal_equals_mean_of_squared_per_sample_gradients():
    torch.manual_seed(0)
    model = _TinyClassifier()
    x, y = torch.randn(6, 5), torch.randint(0, 3, (6, ))
    params = dict(model.named_parameters())
    fisher = DiagonalFisher(params)
    for i in range(6):
        fisher.add_sample_loss(F.cross_entropy(model(x[i:i + 1]), y[i:i + 1]))
    result = fisher.result()

    # reference: per-sample gradients from torch.func (vmap over the batch)
    def sample_loss(p, xi, yi):
        out = torch.func.functional_call(model, p, (xi[None], ))
        return F.cross_entropy(out, yi[None])

    detached = {k: v.detach() for k, v in params.items()}
    per_sample = torch.func.vmap(torch.func.grad(sample_loss), in_dims=(None, 0, 0))(detached, x, y)
    for name in params:
        expected = per_sample[name].pow(2).mean(0)
        torch.testing.assert_close(result[name], expected, rtol=1e-5, atol=1e-10)
        # it is not the squared gradient of the batch mean
        assert not torch.allclose(result[name], per_sample[name].mean(0).pow(2))


def test_empirical_estimator_on_a_segmentor_uses_per_sample_gradients():
    model = build_tiny('deeplabv3plus', estimator=dict(method='empirical', log_interval=100))
    inputs, samples = batch(n=2, size=64)
    artifact = model.estimate_sensitivity(lambda: (inputs, samples), 1, log=lambda _: None)
    assert artifact['meta']['kind'] == 'fisher'
    params = model.candidate_parameters()
    name = 'backbone.vit.layers.1.attn.qkv.weight'
    model.eval()
    squares = []
    with model.full_loss_mode():
        for i in range(2):
            model.zero_grad()
            losses = model(inputs[i:i + 1], samples[i:i + 1], mode='loss')
            sum(v for k, v in losses.items() if 'loss' in k).backward()
            squares.append(params[name].grad.detach().pow(2))
    torch.testing.assert_close(
        artifact['source'][name], (squares[0] + squares[1]) / 2, rtol=1e-4, atol=0)
    # x' (perturbed features) gives a different Fisher
    assert not torch.allclose(
        artifact['perturbed'][name], artifact['source'][name], rtol=1e-3, atol=0)


# ---- Eq. 6 ---------------------------------------------------------------------------------------
def test_feature_perturbation_sets_the_sampled_statistics():
    torch.manual_seed(0)
    x = torch.randn(4, 10, 3) * 2 + 1
    perturb = FeatureStatsPerturbation(noise_std=1.0)
    perturb.seed = 7
    out = perturb(x)
    # recompute alpha and beta with the same draws
    mu, sigma = x.mean(1, keepdim=True), (x.var(1, keepdim=True, unbiased=False) + 1e-6).sqrt()
    s_mu = (mu.var(0, keepdim=True, unbiased=False) + 1e-6).sqrt()
    s_sigma = (sigma.var(0, keepdim=True, unbiased=False) + 1e-6).sqrt()
    g = torch.Generator().manual_seed(7)
    e_mu, e_sigma = torch.randn(mu.shape, generator=g), torch.randn(mu.shape, generator=g)
    alpha, beta = mu + e_mu * s_mu, sigma + e_sigma * s_sigma
    torch.testing.assert_close(out.mean(1, keepdim=True), alpha, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(
        out.std(1, keepdim=True, unbiased=False),
        beta.abs() * (sigma**2 - 1e-6).sqrt() / sigma,
        rtol=1e-4,
        atol=1e-5)
    # Eq. 7's weight: exp(-(mean|eps_mu| + mean|eps_sigma|))
    assert perturb.domain_weight() == pytest.approx(
        math.exp(-(e_mu.abs().mean() + e_sigma.abs().mean()).item()), rel=1e-6)
    assert torch.equal(FeatureStatsPerturbation(noise_std=1.0)(x[:1]), x[:1])


# ---- Eq. 5, 7, 13, 14, 15 --------------------------------------------------------------------
def test_eq5_and_eq7_on_hand_values():
    f_src, f_pert = torch.tensor([1.0, 2.0, 0.0]), torch.tensor([3.0, 2.0, 4.0])
    torch.testing.assert_close(
        delta_fisher(f_src, f_pert), torch.tensor([2.0 / (1 + 1e-8), 0.0, 4.0 / 1e-8]))
    drf = drf_from_fisher(f_src, f_pert, weight=0.5)
    torch.testing.assert_close(drf, torch.tensor([1 + 0.5 * 2 / (1 + 1e-8), 2.0, 0.5 * 4e8]))
    assert torch.equal(drf_from_fisher(f_src, f_pert, 0.5, score='fisher'), f_src)


def test_eq14_and_eq15_on_hand_values():
    gamma, tau, w = 1e-3, 0.5, 0.25  # tau^-2 = 4
    lam_x, lam_xp = torch.tensor([10.0, 6.0, 4.0]), torch.tensor([6.0, 6.0, 8.0])
    torch.testing.assert_close(
        fisher_from_precision(lam_x, gamma, tau), torch.tensor([6e-3, 2e-3, 0.0]))
    # Eq. 15 as printed: gamma * (L_x - tau^-2 + w |L_x - L_x'| / (min + eps / gamma))
    expected = [
        gamma * (10 - 4 + w * 4 / (6 + 1e-5)), gamma * (6 - 4 + 0.0),
        gamma * (4 - 4 + w * 4 / (4 + 1e-5))
    ]
    got = drf_from_precisions(lam_x, lam_xp, gamma, tau, w)
    torch.testing.assert_close(got, torch.tensor(expected), rtol=1e-6, atol=0)
    # 'substituted': Eq. 14 into Eq. 7: F_x + w |F_x - F_x'| / (min(F_x, F_x') + eps)
    f_x, f_xp = gamma * (lam_x - 4), gamma * (lam_xp - 4)
    sub = drf_from_precisions(lam_x, lam_xp, gamma, tau, w, formula='substituted')
    torch.testing.assert_close(sub,
                               f_x + w * (f_x - f_xp).abs() / (torch.minimum(f_x, f_xp) + 1e-8))
    assert not torch.allclose(sub, got)


def test_substituted_formula_is_finite_and_nonnegative_below_the_prior():
    """Precisions below the prior's tau^-2 (noise of the estimate): Eq. 14 would give a negative
    Fisher information and Eq. 5 a negative, infinite or NaN ratio. Clamped, F = 0 there:
    hand values with gamma = 1, tau^-2 = 4, w = 1, eps = 1e-8."""
    lam_x = torch.tensor([2.0, 3.0, 4.0, 5.0, 9.0])
    lam_xp = torch.tensor([3.0, 2.0, 4.0, 3.0, 6.0])
    got = drf_from_precisions(lam_x, lam_xp, 1.0, 0.5, 1.0, formula='substituted')
    f_x, f_xp = [0.0, 0.0, 0.0, 1.0, 5.0], [0.0, 0.0, 0.0, 0.0, 2.0]
    expected = [fx + abs(fx - fp) / (min(fx, fp) + 1e-8) for fx, fp in zip(f_x, f_xp)]
    torch.testing.assert_close(got, torch.tensor(expected), rtol=1e-6, atol=0)
    assert torch.isfinite(got).all() and (got >= 0).all()


def test_eq13_kl_is_the_gaussian_kl():
    torch.manual_seed(0)
    theta = {'w': torch.randn(5)}
    anchors = {'w': theta['w'] + 0.1 * torch.randn(5)}
    post = VariationalPrecision(theta, gamma=1.0, tau=0.3, anchors=anchors, init_precision=20.0)
    with torch.no_grad():
        post.log_precision['w'].add_(torch.randn(5))
    q = torch.distributions.Normal(theta['w'], torch.exp(-0.5 * post.log_precision['w']))
    p = torch.distributions.Normal(anchors['w'], torch.full((5, ), 0.3))
    expected = torch.distributions.kl_divergence(q, p).sum()
    torch.testing.assert_close(post.kl(), expected, rtol=1e-5, atol=1e-6)


def test_variational_precision_reaches_eq14_optimum_on_a_quadratic():
    """For L = 1/2 sum h (theta - c)^2 the optimum of Eq. 11 is Lambda = h / gamma + tau^-2."""
    torch.manual_seed(0)
    h = torch.tensor([0.0, 50.0, 400.0, 4000.0])
    c = torch.randn(4)
    theta = {'w': torch.randn(4)}
    gamma, tau = 2.0, 0.1  # tau^-2 = 100
    post = VariationalPrecision(theta, gamma, tau, lr=0.02)
    gen = torch.Generator().manual_seed(0)

    def loss_fn(w):
        return 0.5 * (h * (w['w'] - c)**2).sum()

    trace = []
    for step in range(3000):
        post.step(loss_fn, gen)
        if step >= 2000:
            trace.append(post.precisions()['w'])
    estimate = torch.stack(trace).mean(0)
    expected = h / gamma + tau**-2
    torch.testing.assert_close(estimate, expected, rtol=0.1, atol=0)
    # Eq. 14 turns it back into the curvature
    torch.testing.assert_close(fisher_from_precision(estimate, gamma, tau), h, rtol=0.15, atol=5.0)


# ---- Eq. 16 ----------------------------------------------------------------------------------
def test_schedule_values():
    lo, hi, total = 0.01, 0.05, 1000
    text = [selected_fraction(t, total, lo, hi) for t in (0, 500, 1000)]
    assert text[0] == pytest.approx(lo) and text[2] == pytest.approx(hi)
    assert text[1] == pytest.approx(lo + (hi - lo) * (1 - math.exp(-0.5)) / (1 - math.exp(-1)))
    values = [selected_fraction(t, total, lo, hi) for t in range(total + 1)]
    assert all(b > a for a, b in zip(values, values[1:]))  # grows monotonically
    literal = [selected_fraction(t, total, lo, hi, 'eq16') for t in (0, 1000)]
    assert literal == pytest.approx([hi, lo + (hi - lo) / math.e])
    assert selected_fraction(321, total, hi, hi) == pytest.approx(hi)


def test_selected_counts_follow_the_schedule():
    model = build_tiny()
    total = model.num_backbone_params
    assert model.num_selected_at(1, 100) == round(selected_fraction(1, 100, 0.01, 0.05) * total)
    assert model.num_selected_at(100, 100) == round(0.05 * total)
    cands = build_tiny(fraction_of='candidates')
    assert cands.num_selected_at(100, 100) == round(0.05 * cands.num_candidates)


def test_vit_large_trainable_count_is_15_21m():
    """003 Table 1: 15.21M trainable parameters at delta_max = 5 % of ViT-L."""
    cfg = Config.fromfile(config_path('_base_', 'models',
                                      'fishertune_dinov2-l_mask2former.py')).model
    cfg.backbone.init_cfg = None
    with torch.device('meta'):
        model = MODELS.build(cfg)
    assert model.num_backbone_params == 304_196_608
    count = model.num_selected_at(40000, 40000)
    assert count == 15_209_830 and round(count / 1e6, 2) == 15.21
    assert count < model.num_candidates  # the Q/K/V/FFN weights can hold it


# ---- masked updates --------------------------------------------------------------------------
@pytest.mark.parametrize('optimizer', [
    lambda p: torch.optim.AdamW(p, lr=1e-2, weight_decay=0.5),
    lambda p: torch.optim.SGD(p, lr=1e-2, momentum=0.9, weight_decay=0.5, nesterov=True),
])
def test_unselected_elements_stay_bit_identical(optimizer):
    torch.manual_seed(0)
    model = _TinyClassifier()
    params = dict(model.named_parameters())
    scores = {n: torch.rand(p.shape) for n, p in params.items()}
    scores['fc2.bias'][:] = float('-inf')  # never eligible
    mask = SparseParameterMask(params, scores)
    opt = optimizer(model.parameters())
    mask.attach_optimizers([opt])
    wrapper = OptimWrapper(opt, clip_grad=dict(max_norm=0.1))
    start = {n: p.detach().clone() for n, p in params.items()}
    x, y = torch.randn(8, 5), torch.randint(0, 3, (8, ))
    history = []
    for k in (5, 5, 12, 12, 20, 8, 8):  # grow, then shrink (Eq. 16 as printed shrinks)
        before = {n: p.detach().clone() for n, p in params.items()}
        mask.select(k)
        assert mask.num_selected() == k
        selected = {n: m.clone() for n, m in mask.masks.items()}
        history.append(selected)
        wrapper.update_params(F.cross_entropy(model(x), y))
        for name, p in params.items():
            # unselected: bit-identical to before the step, despite weight decay and momentum
            assert torch.equal(p[~selected[name]], before[name][~selected[name]]), name
        moved = sum(int((p != before[n])[selected[n]].sum()) for n, p in params.items())
        assert moved == k
    ever = {n: torch.stack([h[n] for h in history]).any(0) for n in params}
    for name, p in params.items():
        assert torch.equal(p[~ever[name]], start[name][~ever[name]])
    assert torch.equal(params['fc2.bias'], start['fc2.bias'])
    # the highest scores were selected
    flat = torch.cat([s.flatten() for s in scores.values()])
    chosen = torch.cat([history[-1][n].flatten() for n in params])
    assert flat[chosen].min() >= flat[~chosen].max()


def test_gradients_of_unselected_elements_are_zero():
    torch.manual_seed(0)
    model = _TinyClassifier()
    params = dict(model.named_parameters())
    mask = SparseParameterMask(params, {n: torch.rand(p.shape) for n, p in params.items()})
    mask.select(6)
    F.cross_entropy(model(torch.randn(4, 5)), torch.randint(0, 3, (4, ))).backward()
    for name, p in params.items():
        assert torch.count_nonzero(p.grad[~mask.masks[name]]) == 0
    assert sum(int(torch.count_nonzero(p.grad)) for p in params.values()) == 6


def test_ties_are_broken_to_select_exactly_k():
    params = {'a': nn.Parameter(torch.zeros(10)), 'b': nn.Parameter(torch.zeros(4))}
    scores = {'a': torch.tensor([3.0] + [1.0] * 9), 'b': torch.tensor([1.0, 1.0, 2.0, 0.0])}
    mask = SparseParameterMask(params, scores)
    mask.select(5)
    assert mask.num_selected() == 5
    assert mask.masks['a'].tolist() == [True, True, True, True] + [False] * 6
    assert mask.masks['b'].tolist() == [False, False, True, False]


# ---- the segmentor -----------------------------------------------------------------------------
def test_only_candidate_vfm_weights_and_the_decoder_require_grad():
    model = build_tiny()
    for name, p in model.named_parameters():
        if name.startswith('backbone.'):
            is_candidate = ('attn.qkv' in name or '.ffn.' in name)
            assert p.requires_grad == is_candidate, name
        else:
            assert p.requires_grad, name
    q_only = build_tiny(groups=('q', ))
    assert q_only.num_candidates == 4 * (32 * 32 + 32)


def test_random_q_scores_cover_only_query_rows():
    model = build_tiny(groups=('q', ), score='random')
    scores = model.selection_scores()
    qkv = scores['backbone.vit.layers.0.attn.qkv.weight']
    assert torch.isfinite(qkv[:32]).all() and torch.isinf(qkv[32:]).all()
    assert 'backbone.vit.layers.0.ffn.layers.1.weight' not in scores


@pytest.mark.parametrize('options, message', [
    (dict(score='drfim'), 'score'),
    (dict(delta_min=0.1, delta_max=0.05), 'delta_min'),
    (dict(schedule='linear'), 'schedule'),
    (dict(groups=('qk', )), 'groups'),
    (dict(delta=0.05), 'unknown'),
    (dict(estimator=dict(method='variational', beta=2.0)), 'beta'),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(SensitivityConfigError, match=message):
        build_tiny(**options)


def test_frozen_or_adapted_backbones_are_refused():
    cfg = tiny_fishertune_cfg()
    cfg.backbone.freeze_vit = True
    with pytest.raises(SensitivityConfigError, match='freeze_vit=False'):
        MODELS.build(cfg)


def test_mask_that_does_not_fit_the_groups_is_refused():
    with pytest.raises(SensitivityConfigError, match='hold only 4,224'):
        build_tiny(groups=('q', ), score='random', delta_max=0.5)


# ---- the sensitivity file ----------------------------------------------------------------------
def test_sensitivity_file_round_trip_and_scores(tmp_path):
    model = build_tiny(estimator=dict(method='variational', log_interval=100))
    inputs, samples = batch(n=2, size=64)
    artifact = model.estimate_sensitivity(lambda: (inputs, samples), 2, log=lambda _: None)
    path = save_artifact(artifact, str(tmp_path))
    loaded = load_artifact(path)
    for name, t in artifact['source'].items():
        assert torch.equal(loaded['source'][name], t)
    meta = loaded['meta']
    name = 'backbone.vit.layers.2.ffn.layers.0.0.weight'
    expected = drf_from_precisions(loaded['source'][name], loaded['perturbed'][name], meta['gamma'],
                                   meta['tau'], meta['domain_weight'])
    assert torch.equal(artifact_scores(loaded, 'drf', balance='none')[name], expected)
    # balance='mean': each term divided by its mean magnitude over all estimated elements
    terms = [
        drf_from_precisions(loaded['source'][n], loaded['perturbed'][n], meta['gamma'], meta['tau'],
                            1.0, score) for n in loaded['source']
        for score in ('fisher', 'delta_fisher')
    ]
    task_mean = torch.cat([t.flatten() for t in terms[0::2]]).double().abs().mean()
    domain_mean = torch.cat([t.flatten() for t in terms[1::2]]).double().abs().mean()
    task = drf_from_precisions(loaded['source'][name], loaded['perturbed'][name], meta['gamma'],
                               meta['tau'], 1.0, 'fisher')
    domain = drf_from_precisions(loaded['source'][name], loaded['perturbed'][name], meta['gamma'],
                                 meta['tau'], 1.0, 'delta_fisher')
    torch.testing.assert_close(
        artifact_scores(loaded, 'drf')[name],
        (task / task_mean + meta['domain_weight'] * domain / domain_mean).float(),
        rtol=1e-5,
        atol=1e-6)
    # the JSON summary is the per block, per group mean of each score
    summary = block_group_summary(loaded)
    qkv = artifact_scores(loaded, 'fisher')['backbone.vit.layers.3.attn.qkv.weight']
    qkv_bias = artifact_scores(loaded, 'fisher')['backbone.vit.layers.3.attn.qkv.bias']
    k_rows = torch.cat([qkv[32:64].flatten(), qkv_bias[32:64]]).double()
    assert summary['fisher']['k'][3] == pytest.approx(float(k_rows.mean()), rel=1e-9)
    assert set(summary['drf']) == {'q', 'k', 'v', 'ffn'} and summary['num_blocks'] == 4
    # selection from the loaded file
    model.start_tuning(loaded, [])
    assert model.set_tune_step(50, 50) == round(0.05 * model.num_backbone_params)


def test_sensitivity_file_of_another_network_is_refused(tmp_path):
    model = build_tiny(estimator=dict(method='empirical', log_interval=100))
    inputs, samples = batch(n=2, size=64)
    artifact = model.estimate_sensitivity(lambda: (inputs, samples), 1, log=lambda _: None)
    cfg = tiny_fishertune_cfg()
    cfg.backbone.vit.arch = dict(embed_dims=48, num_layers=4, num_heads=2, feedforward_channels=64)
    cfg.decode_head.in_channels = [48] * 4
    other = MODELS.build(cfg)
    with pytest.raises(SensitivityConfigError, match='shape'):
        other.start_tuning(artifact, [])
    torch.save({'state_dict': {}}, str(tmp_path / 'ckpt.pth'))
    with pytest.raises(SensitivityConfigError, match='not a FisherTune sensitivity file'):
        load_artifact(str(tmp_path / 'ckpt.pth'))
    with pytest.raises(FileNotFoundError, match='estimation'):
        load_artifact(str(tmp_path / 'missing.pth'))


def test_estimator_rejects_bad_settings():
    with pytest.raises(SensitivityConfigError, match='method'):
        DRFIMEstimator(method='laplace')
    with pytest.raises(SensitivityConfigError, match='gamma'):
        DRFIMEstimator(gamma=0.0)
    model = build_tiny(estimator=dict(perturb_at='vit.stem'))
    with pytest.raises(SensitivityConfigError, match='perturb_at'):
        model.estimate_sensitivity(lambda: batch(n=2, size=64), 1)


def _vit_params(depth, dim, patch, tokens, mlp=4, cls=True, rel_pos=None):
    """Parameters of a plain ViT trunk from its shapes (no final norm): patch embedding,
    class token, position table, and per block 2 LNs, fused qkv, proj and a 2-layer MLP;
    ``rel_pos`` = (global blocks, global grid, window, head dim) for SAM's relative tables."""
    block = 2 * 2 * dim + (dim * 3 * dim + 3 * dim) + (dim * dim + dim) + \
        (dim * mlp * dim + mlp * dim) + (mlp * dim * dim + dim)
    total = patch * patch * 3 * dim + dim + (dim if cls else 0) + \
        (tokens + (1 if cls else 0)) * dim + depth * block
    if rel_pos:
        n_global, grid, window, head = rel_pos
        total += n_global * 2 * (2 * grid - 1) * head + \
            (depth - n_global) * 2 * (2 * window - 1) * head
    return total


SAM_H_512 = _vit_params(32, 1280, 16, 32 * 32, cls=False, rel_pos=(4, 32, 14, 80))
MAE_L_512 = _vit_params(24, 1024, 16, 32 * 32)


@pytest.mark.parametrize('config,backbone,tuned', [
    ('fishertune_sam-h_mask2former_1xb4-44k_gtav-512x512.py', SAM_H_512, 15_209_830),
    ('fishertune_sam-h_mask2former_1xb4-44k_gtav-512x512_5pct-of-backbone.py', SAM_H_512,
     round(0.05 * SAM_H_512)),
    ('fishertune_mae-l_mask2former_1xb4-44k_gtav-512x512.py', MAE_L_512, round(0.05 * MAE_L_512)),
])
def test_table1_other_vfms_trainable_counts(config, backbone, tuned):
    """003 Table 1: 15.21M tuned for every VFM. SAM-H at 512 px (pos and global rel-pos tables
    for 32 x 32 tokens) has 632,134,400 parameters: its fixed-budget reading tunes exactly the
    ViT-L count, its 5 %-of-backbone variant 5 % of it; MAE-L 5 % (15.21M)."""
    assert SAM_H_512 == 632_134_400
    cfg = Config.fromfile(config_path('fishertune', config)).model
    cfg.backbone.init_cfg = None
    with torch.device('meta'):
        model = MODELS.build(cfg)
    assert model.num_backbone_params == backbone
    assert model.num_selected_at(40000, 40000) == tuned
    assert abs(model.num_selected_at(0, 40000) - tuned / 5) <= 1


def test_eva02_candidates_are_its_swiglu_ffn_rows():
    """In process, the candidate rows of the EVA02 FisherTune config's network (its tiny
    ``--demo`` size): the FFN group is EVA02's SwiGLU (``w12``, ``w3``), not a plain MLP's
    (the training run that checks these rows move is under ``slow``)."""
    from deft_mmseg.demo import make_demo_config
    cfg = make_demo_config(
        Config.fromfile(
            config_path('fishertune', 'fishertune_eva02-l_mask2former_1xb4-44k_gtav-512x512.py')))
    cfg.model.data_preprocessor = None
    model = MODELS.build(cfg.model)
    meta = model.candidate_meta()
    assert meta['backbone'] == 'ViTEVA02'
    ffn = {
        r['name'].split('layers.0.')[-1]
        for r in meta['rows'] if r['block'] == 0 and r['group'] == 'ffn'
    }
    assert ffn == {'mlp.w12.weight', 'mlp.w12.bias', 'mlp.w3.weight', 'mlp.w3.bias'}
