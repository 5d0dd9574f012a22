"""Feature perturbation during training (FP, the FisherTune paper's Table 5, DSU): the features
after the patch embedding are resampled by DSU's formula, written out here, in training mode only."""
import copy

import pytest
import torch
from mmengine.config import Config
from mmseg.registry import MODELS

from repo_paths import config_path


def tiny_backbone(**fp):
    cfg = Config.fromfile(config_path('_base_', 'models', 'vfm_vit_tiny_demo.py')).model.backbone
    cfg.feature_perturbation = fp
    torch.manual_seed(0)
    return MODELS.build(cfg)


def record_patch_tokens(backbone):
    seen = []
    backbone.vit.patch_embed.register_forward_hook(
        lambda _, __, out: seen.append(out[0].detach().clone()))
    return seen


def test_training_features_follow_dsu():
    backbone = tiny_backbone(prob=1.0)
    seen = record_patch_tokens(backbone)  # registered after FP: sees its output
    x = torch.randn(3, 3, 64, 64)
    backbone.eval()
    with torch.no_grad():
        clean = backbone.vit.patch_embed(x)[0]
    backbone.train()
    torch.manual_seed(5)
    with torch.no_grad():
        backbone(x)
    perturbed = seen[-1]
    # DSU by hand, with the draws in the order the hook makes them: the coin, eps_mu, eps_sigma
    torch.manual_seed(5)
    torch.rand(())
    view = (3, 1, clean.shape[-1])
    e_mu, e_sigma = torch.randn(view), torch.randn(view)
    mu = clean.mean(1, keepdim=True)
    sigma = (clean.var(1, keepdim=True, unbiased=False) + 1e-6).sqrt()
    s_mu = (mu.var(0, keepdim=True, unbiased=False) + 1e-6).sqrt()
    s_sigma = (sigma.var(0, keepdim=True, unbiased=False) + 1e-6).sqrt()
    expected = (sigma + e_sigma * s_sigma) * (clean - mu) / sigma + mu + e_mu * s_mu
    torch.testing.assert_close(perturbed, expected, rtol=1e-5, atol=1e-5)


def test_no_perturbation_in_eval_mode_at_prob_zero_or_in_an_eval_copy():
    x = torch.randn(2, 3, 64, 64)
    for prob, mode in ((1.0, 'eval'), (0.0, 'train')):
        backbone = tiny_backbone(prob=prob)
        seen = record_patch_tokens(backbone)
        backbone.train(mode == 'train')
        with torch.no_grad():
            clean = backbone.vit.patch_embed(x)[0]  # recorded too
            backbone(x)
        assert torch.equal(seen[-1], clean)
    backbone = tiny_backbone(prob=1.0)
    copy_ = copy.deepcopy(backbone).eval()
    backbone.train()  # the original's mode must not leak into the copy
    seen = record_patch_tokens(copy_)
    with torch.no_grad():
        clean = copy_.vit.patch_embed(x)[0]
        copy_(x)
    assert torch.equal(seen[-1], clean)


def test_bad_feature_perturbation_settings():
    with pytest.raises(ValueError, match='unknown key'):
        tiny_backbone(probability=0.5)
    with pytest.raises(ValueError, match='no module'):
        tiny_backbone(at='stem')
    with pytest.raises(ValueError, match=r'prob must be in \[0, 1\]'):
        tiny_backbone(prob=2)


def test_fp_configs_of_table5_keep_their_method():
    """Table 5's +FP configs are their base config plus FP, nothing else."""
    for fp_config, base in (
        ('ablations/rein_eva02-l_mask2former_1xb4-40k_gtav-512x512_fp.py',
         '../rein/rein_eva02-l_mask2former_1xb4-40k_gtav-512x512.py'),
        ('ablations/fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512_fp.py',
         'fishertune_dinov2-l_mask2former_1xb4-44k_gtav-512x512.py')):
        with_fp = Config.fromfile(config_path('fishertune', fp_config))
        without = Config.fromfile(config_path('fishertune', base))
        assert with_fp.model.backbone.pop('feature_perturbation') == dict(
            prob=0.5, at='patch_embed', noise_std=1.0)
        assert with_fp.model == without.model
