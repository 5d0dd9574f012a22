"""tools/slim_checkpoint.py on the checkpoints a user has: a ResNet model's and a ``--demo``
run's are refused with what is really the matter (not "trunk file missing"), and the trunk file
the Rein release ships (``dinov2_converted.pth``: official DINOv2 keys) is taken as it is."""
import os.path as osp

import pytest
import torch

from e2e_helpers import DEFT_DEMO, demo_config, error_line_in_process, one_error_line, run_tool
from repo_paths import config_path

REIN = config_path('rein', 'rein_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py')
#: mmpretrain ViT block keys -> the official DINOv2 keys (facebookresearch/dinov2,
#: dinov2/layers/block.py and mlp.py: norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2)
OFFICIAL_BLOCK_KEYS = {
    'ln1': 'norm1',
    'attn.qkv': 'attn.qkv',
    'attn.proj': 'attn.proj',
    'ln2': 'norm2',
    'ffn.layers.0.0': 'mlp.fc1',
    'ffn.layers.1': 'mlp.fc2'
}
OFFICIAL_TOP_KEYS = {
    'cls_token': 'cls_token',
    'pos_embed': 'pos_embed',
    'patch_embed.projection.weight': 'patch_embed.proj.weight',
    'patch_embed.projection.bias': 'patch_embed.proj.bias'
}


def official_layout(state):
    """The ``backbone.vit.*`` tensors of ``state`` under the official DINOv2 key names, as the
    Rein release's ``dinov2_converted.pth`` holds them (plus the keys the segmentation encoder
    does not use: the mask token and the final norm)."""
    out = {}
    for key, value in state.items():
        if not key.startswith('backbone.vit.'):
            continue
        name = key[len('backbone.vit.'):]
        if name in OFFICIAL_TOP_KEYS:
            out[OFFICIAL_TOP_KEYS[name]] = value.clone()
            continue
        _, block, rest = name.split('.', 2)
        module, param = rest.rsplit('.', 1)
        out[f'blocks.{block}.{OFFICIAL_BLOCK_KEYS[module]}.{param}'] = value.clone()
    width = state['backbone.vit.cls_token'].shape[-1]
    out.update({
        'mask_token': torch.zeros(1, width),
        'norm.weight': torch.ones(width),
        'norm.bias': torch.zeros(width)
    })
    return out


@pytest.fixture(scope='module')
def rein_demo(tmp_path_factory):
    """A Rein model of ``--demo`` size (random-init tiny ViT): its full checkpoint, with the
    config a runner records in ``meta['cfg']`` (mmengine's ``Runner.save_checkpoint`` writes
    ``cfg.pretty_text``), and its trunk in the official DINOv2 layout."""
    from mmseg.registry import MODELS
    root = tmp_path_factory.mktemp('slim')
    cfg = demo_config(REIN)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    state = model.state_dict()
    paths = dict(full=str(root / 'full.pth'), official=str(root / 'dinov2_converted.pth'))
    torch.save(dict(state_dict=state, meta=dict(cfg=cfg.pretty_text)), paths['full'])
    torch.save(official_layout(state), paths['official'])
    return root, paths, state


def test_export_of_a_model_without_a_vit_trunk_says_so(short_deft_run, tmp_path, capsys,
                                                       monkeypatch):
    """The DeFT ResNet config names a pretrained ResNet (open-mmlab://...) as its init_cfg:
    before, the tool said that "trunk file" did not exist."""
    monkeypatch.chdir(short_deft_run)
    line = error_line_in_process(capsys, 'slim_checkpoint.py', 'export', DEFT_DEMO[0],
                                 str(short_deft_run / 'run' / 'iter_3.pth'),
                                 str(tmp_path / 'slim.pth'))
    assert 'has no ViT trunk (backbone.vit.*)' in line and '(ResNet in deft_deeplabv3plus_r50-d16' in line
    assert 'Use the checkpoint as it is' in line and 'does not exist' not in line
    assert not osp.exists(tmp_path / 'slim.pth')


def test_export_of_a_demo_checkpoint_says_its_trunk_is_in_no_file(rein_demo, tmp_path):
    """From a fresh shell: the tool's contract (exit 2, one line, no traceback)."""
    root, paths, _ = rein_demo
    line = one_error_line(
        run_tool(
            'slim_checkpoint.py',
            'export',
            REIN,
            paths['full'],
            str(tmp_path / 'slim.pth'),
            cwd=str(tmp_path)))
    assert 'randomly initialized ViT' in line and '--demo' in line and '--backbone' in line
    assert 'does not exist' not in line
    assert not osp.exists(tmp_path / 'slim.pth')


def test_the_rein_release_trunk_file_is_converted_by_the_tool(rein_demo, tmp_path):
    """``--backbone dinov2_converted.pth`` (official keys): export and merge give back the full
    checkpoint bit for bit, as with a converted file."""
    import slim_checkpoint

    from deft_mmseg.models.trunk_checkpoint import trunk_state
    from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
    root, paths, state = rein_demo
    trunk = trunk_state(load_local_checkpoint(paths['official']))
    expected = {k: v for k, v in state.items() if k.startswith('backbone.vit.')}
    assert sorted(trunk) == sorted(expected)
    assert all(torch.equal(trunk[k], expected[k]) for k in expected)

    slim, merged = str(tmp_path / 'slim.pth'), str(tmp_path / 'merged.pth')
    slim_checkpoint.main(['export', REIN, paths['full'], slim, '--backbone', paths['official']])
    assert load_local_checkpoint(slim)['trunk_deltas'] == {}  # the frozen trunk: all left out
    slim_checkpoint.main(['merge', slim, merged, '--backbone', paths['official']])
    got = load_local_checkpoint(merged)['state_dict']
    assert sorted(got) == sorted(state) and all(torch.equal(got[k], state[k]) for k in state)
