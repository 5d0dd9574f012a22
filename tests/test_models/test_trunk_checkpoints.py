"""Checkpoints without the VFM trunk, used the way a user does: a checkpoint in the Rein release's
layout (only ``backbone.reins.*`` + ``decode_head.*``, re-created here from the release's modules
at tiny size) tested with ``--backbone``, slim export and merge with tools/slim_checkpoint.py, and
the refusals."""
import glob
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from e2e_helpers import (demo_config, error_line_in_process, latest_test_results, one_error_line,
                         run_tool, run_tool_in_process, run_tool_ok)
from repo_paths import config_path

REIN = config_path('rein', 'rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py')


class _ReleaseLoRAReins(torch.nn.Module):
    """The parameters of the Rein release's ``LoRAReins`` (w1oves/Rein,
    rein/models/backbones/reins.py: ``Reins.create_model`` lines 37-54 make ``scale``,
    ``mlp_token2feat``, ``mlp_delta_f``, ``transform``, ``merge``; ``LoRAReins.create_model`` lines
    125-131 replace ``learnable_tokens`` by ``learnable_tokens_a`` (L, m, r) and
    ``learnable_tokens_b`` (L, r, C)), at the sizes given."""

    def __init__(self, num_layers, embed_dims, query_dims, token_length, lora_dim):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(0.001))
        self.mlp_token2feat = torch.nn.Linear(embed_dims, embed_dims)
        self.mlp_delta_f = torch.nn.Linear(embed_dims, embed_dims)
        self.transform = torch.nn.Linear(embed_dims, query_dims)
        self.merge = torch.nn.Linear(query_dims * 3, query_dims)
        self.learnable_tokens_a = torch.nn.Parameter(
            torch.randn(num_layers, token_length, lora_dim) * 0.1)
        self.learnable_tokens_b = torch.nn.Parameter(
            torch.randn(num_layers, lora_dim, embed_dims) * 0.1)


def release_rein_checkpoint(reins_cfg, head_cfg):
    """A checkpoint as the Rein release writes it (its dinov2_rein_and_head.pth), re-created at
    the size of ``reins_cfg`` / ``head_cfg`` from the release's module layout, not from this
    project's model:

    - the backbone ``ReinsDinoVisionTransformer`` (rein/models/backbones/reins_dinov2.py) holds
      the DINOv2 ViT and ``self.reins`` (line 15); its ``state_dict`` drops every key without
      ``rein`` (lines 42-45), so the file has ``backbone.reins.*`` and no trunk;
    - the head ``ReinMask2FormerHead(replace_query_feat=True)``
      (rein/models/heads/rein_mask2former.py lines 16-21) is mmseg's ``Mask2FormerHead`` without
      ``query_embed`` and ``query_feat``, with ``querys2feat`` (Linear) and an empty
      ``vpt_transforms``.
    """
    from mmseg.models.decode_heads import Mask2FormerHead
    reins = _ReleaseLoRAReins(reins_cfg['num_layers'], reins_cfg['embed_dims'],
                              reins_cfg['query_dims'], reins_cfg['token_length'],
                              reins_cfg['lora_dim'])
    head_kwargs = {k: v for k, v in head_cfg.items() if k not in ('type', 'replace_query_feat')}
    head = Mask2FormerHead(**head_kwargs)
    del head.query_embed, head.query_feat
    head.vpt_transforms = torch.nn.ModuleList()
    head.querys2feat = torch.nn.Linear(head_cfg['feat_channels'], head_cfg['feat_channels'])
    state = {f'backbone.reins.{k}': v for k, v in reins.state_dict().items()}
    state.update({f'decode_head.{k}': v for k, v in head.state_dict().items()})
    return state


@pytest.fixture(scope='module')
def files(short_deft_run, tmp_path_factory):
    """The Rein demo config's model saved three ways: the Rein release's layout (re-created from
    the release's modules: :func:`release_rein_checkpoint`), the converted-trunk file (``vit.*``
    keys, as tools/model_converters/vfm.py writes them) of a randomly initialized trunk, and the
    full checkpoint that is the two together."""
    from mmseg.registry import MODELS
    root = tmp_path_factory.mktemp('trunk')
    cfg = demo_config(REIN).model
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    state = model.state_dict()
    trunk = {k: v for k, v in state.items() if k.startswith('backbone.vit.')}
    torch.manual_seed(1)
    release = release_rein_checkpoint(cfg.backbone.reins, cfg.decode_head)
    # the release's key names and shapes are exactly this model's, outside the trunk
    ours = {k: tuple(v.shape) for k, v in state.items() if k not in trunk}
    assert {k: tuple(v.shape) for k, v in release.items()} == ours
    full = dict(trunk, **release)
    paths = dict(
        full=str(root / 'full.pth'),
        trunk=str(root / 'trunk.pth'),
        release=str(root / 'release.pth'))
    torch.save(dict(state_dict=full, meta={}), paths['full'])
    torch.save(dict(state_dict={k[len('backbone.'):]: v for k, v in trunk.items()}), paths['trunk'])
    torch.save(dict(state_dict=release), paths['release'])
    return root, paths


def labels_and_metrics(run_dir, out):
    labels = {
        osp.relpath(p, out): cv2.imread(p, cv2.IMREAD_UNCHANGED)
        for p in glob.glob(osp.join(out, '*', '*.png'))
    }
    with open(latest_test_results(run_dir)) as f:
        return labels, json.load(f)


def test_release_layout_tests_like_the_full_model_with_backbone(short_deft_run, files, capsys):
    """tools/test.py's logic in this process (its fresh-shell contract is tested once in
    test_tools/): the release layout plus ``--backbone`` predicts and scores exactly as the full
    checkpoint, and without the trunk it is refused."""
    import contextlib

    from deft_helpers import reset_mmengine_state
    root, paths = files
    results = {}
    with contextlib.chdir(short_deft_run):
        for name, extra in (('full', []), ('release', ['--backbone', paths['trunk']])):
            wd, out = str(root / f'wd_{name}'), str(root / f'out_{name}')
            reset_mmengine_state()
            capsys.readouterr()
            assert run_tool_in_process('test.py', REIN, paths[name], '--demo', '--work-dir', wd,
                                       '--out', out, *extra) == 0
            printed = capsys.readouterr()
            results[name] = labels_and_metrics(wd, out)
        assert 'ViT trunk tensors taken from' in printed.out + printed.err
        (full_labels, full_metrics), (rel_labels, rel_metrics) = results['full'], results['release']
        assert len(full_labels) == 12 and full_labels.keys() == rel_labels.keys()
        for name in full_labels:
            np.testing.assert_array_equal(rel_labels[name], full_labels[name])
        assert rel_metrics == full_metrics

        # without the trunk: refused, naming the fix (a random trunk would be tested otherwise)
        reset_mmengine_state()
        line = error_line_in_process(capsys, 'test.py', REIN, paths['release'], '--demo',
                                     '--work-dir', str(root / 'wd_refused'))
        reset_mmengine_state()
    assert 'lacks the ViT trunk' in line and '--backbone FILE' in line


@pytest.mark.slow
def test_slim_export_and_merge_give_back_the_full_checkpoint(short_deft_run, files):
    from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
    root, paths = files
    slim, merged = str(root / 'slim.pth'), str(root / 'merged.pth')
    run_tool_ok(
        'slim_checkpoint.py',
        'export',
        REIN,
        paths['full'],
        slim,
        '--backbone',
        paths['trunk'],
        cwd=short_deft_run)
    assert osp.getsize(slim) < 0.5 * osp.getsize(paths['full'])
    run_tool_ok(
        'slim_checkpoint.py',
        'merge',
        slim,
        merged,
        '--backbone',
        paths['trunk'],
        cwd=short_deft_run)
    full = load_local_checkpoint(paths['full'])['state_dict']
    got = load_local_checkpoint(merged)['state_dict']
    assert list(sorted(got)) == list(sorted(full))
    assert all(torch.equal(got[k], full[k]) for k in full)

    # another trunk (one weight changed): the slim file refuses it instead of merging wrongly
    other = load_local_checkpoint(paths['trunk'])
    key = next(iter(other['state_dict']))
    other['state_dict'][key] = other['state_dict'][key] + 1
    torch.save(other, str(root / 'other_trunk.pth'))
    line = one_error_line(
        run_tool(
            'slim_checkpoint.py',
            'merge',
            slim,
            str(root / 'bad.pth'),
            '--backbone',
            str(root / 'other_trunk.pth'),
            cwd=short_deft_run))
    assert 'not the trunk this slim checkpoint was exported against' in line
    assert not osp.exists(root / 'bad.pth')


def test_sparse_trunk_updates_are_stored_sparse_and_restored_exactly():
    """FisherTune changes a few trunk elements: the slim form keeps exactly those (index, value)
    pairs, and the merge restores the tuned weights bit for bit."""
    from deft_mmseg.models.trunk_checkpoint import fill_trunk, slim_checkpoint
    g = torch.Generator().manual_seed(0)
    trunk = {
        'backbone.vit.layers.0.ffn.w': torch.randn(64, 32, generator=g),
        'backbone.vit.layers.0.ln.b': torch.randn(32, generator=g)
    }
    tuned = {k: v.clone() for k, v in trunk.items()}
    flat = tuned['backbone.vit.layers.0.ffn.w'].view(-1)
    chosen = torch.randperm(flat.numel(), generator=g)[:41]
    flat[chosen] += torch.randn(41, generator=g)
    tuned['decode_head.w'] = torch.randn(5, generator=g)
    slim = slim_checkpoint(tuned, trunk)
    delta = slim['trunk_deltas']['backbone.vit.layers.0.ffn.w']
    assert sorted(delta['index'].tolist()) == sorted(chosen.tolist())
    assert set(slim['state_dict']) == {'decode_head.w'}  # the unchanged trunk tensor is dropped
    model_state = {k: torch.empty_like(v) for k, v in tuned.items()}
    fill_trunk(slim, trunk, model_state)
    assert all(torch.equal(slim['state_dict'][k], tuned[k]) for k in tuned)


def test_trunk_of_another_vfm_is_refused():
    from deft_mmseg.models.trunk_checkpoint import fill_trunk
    from deft_mmseg.utils.errors import CheckpointMismatchError
    model_state = {
        'backbone.vit.pos_embed': torch.zeros(1, 17, 32),
        'decode_head.w': torch.zeros(3)
    }
    wider = {'backbone.vit.pos_embed': torch.zeros(1, 17, 64)}
    with pytest.raises(CheckpointMismatchError, match='trunk of another VFM'):
        fill_trunk({'state_dict': {'decode_head.w': torch.zeros(3)}}, wider, model_state)
