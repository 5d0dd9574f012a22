"""Loading checkpoints under torch >= 2.6: mmengine's own objects load, anything else is refused
unless the user opts in."""
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

from deft_mmseg.engine.hooks import (CheckpointMatchHook, check_checkpoint_matches,
                                     check_feature_layout)
from deft_mmseg.utils.checkpoint_loading import ALLOW_PICKLE_ENV, load_local_checkpoint
from deft_mmseg.utils.errors import CheckpointMismatchError, CheckpointSecurityError
from deft_helpers import build, tiny_model_cfg
from repo_paths import config_path


class Untrusted:

    def __init__(self):
        self.x = 1


def _mmengine_like_checkpoint(path):
    buffer = HistoryBuffer()
    buffer.update(0.5)
    buffer.update(np.float64(0.25))
    ckpt = dict(
        meta=dict(
            iter=4,
            seed=np.int64(0),
            mean=np.array([1.0, 2.0], dtype=np.float32),
            dataset_meta=dict(classes=('a', 'b'))),
        state_dict={'w': torch.ones(2)},
        message_hub=dict(log_scalars={'train/loss': buffer}, runtime_info={'iter': 4}))
    torch.save(ckpt, path)


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    path = str(tmp_path / 'iter_4.pth')
    _mmengine_like_checkpoint(path)
    with pytest.raises(pickle.UnpicklingError):  # what plain torch.load does in mmengine 0.10.7
        torch.load(path)
    ckpt = _load_checkpoint(path, map_location='cpu')  # mmengine's entry point, our scheme
    assert CheckpointLoader._schemes[''] is load_local_checkpoint
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))
    assert ckpt['message_hub']['log_scalars']['train/loss'].mean() == pytest.approx(0.375)
    np.testing.assert_array_equal(ckpt['meta']['mean'], [1.0, 2.0])


def test_untrusted_objects_are_refused_unless_opted_in(tmp_path, monkeypatch):
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, payload=Untrusted()), path)
    monkeypatch.delenv(ALLOW_PICKLE_ENV, raising=False)
    with pytest.raises(CheckpointSecurityError, match=f'evil.pth.*{ALLOW_PICKLE_ENV}=1'):
        _load_checkpoint(path)
    monkeypatch.setenv(ALLOW_PICKLE_ENV, '1')
    with pytest.warns(UserWarning, match='arbitrary code'):
        assert _load_checkpoint(path)['payload'].x == 1
    with pytest.raises(FileNotFoundError, match='does not exist'):
        load_local_checkpoint(str(tmp_path / 'missing.pth'))


def test_checkpoint_of_another_architecture_is_refused():
    model = build(tiny_model_cfg())
    check_checkpoint_matches(model, model.state_dict())
    other = build(tiny_model_cfg(decode_head=dict(tiny_model_cfg()['decode_head'], num_classes=7)))
    with pytest.raises(CheckpointMismatchError, match='differ in shape'):
        check_checkpoint_matches(model, other.state_dict())
    with pytest.raises(CheckpointMismatchError, match='shares no weight names'):
        check_checkpoint_matches(model, {'fc.weight': torch.zeros(2)})
    partial = {k: v for k, v in model.state_dict().items() if 'decode_head' not in k}
    with pytest.raises(CheckpointMismatchError, match='lacks'):
        check_checkpoint_matches(model, partial)
    check_checkpoint_matches(model, partial, allow_missing=True)
    plain = build(tiny_model_cfg('EncoderDecoder'))
    check_checkpoint_matches(model, plain.state_dict())  # plain keys go to both pathways


def test_a_checkpoint_of_another_feature_layout_is_refused():
    """A tiny ViT DeepLabv3+ trained when its head read level 2 (levels x4, x2, x1, x0.5) fits
    the mended network (head on level 3, x4, x2, x1, x1) weight for weight: only the config its
    run recorded (``meta['cfg']``) tells them apart."""
    import copy
    from types import SimpleNamespace

    from mmengine.config import Config
    cfg = Config.fromfile(config_path('_base_', 'models', 'vfm_vit_tiny_deeplabv3plus_demo.py'))
    model = build(cfg.model)
    old = copy.deepcopy(cfg)
    old.model.decode_head.in_index = 2
    old.model.backbone.scales = (4, 2, 1, 0.5)
    state = model.state_dict()
    check_checkpoint_matches(model, state)  # every weight fits
    checkpoint = dict(meta=dict(cfg=old.pretty_text), state_dict=state)
    with pytest.raises(
            CheckpointMismatchError,
            match=r'another feature layout .*backbone\.scales: checkpoint \(4, 2, 1, 0\.5\), '
            r'model \(4, 2, 1, 1\); decode_head\.in_index: checkpoint 2, model 3\)'):
        check_feature_layout(model, checkpoint)
    check_feature_layout(model, dict(meta=dict(cfg=cfg.pretty_text), state_dict=state))
    check_feature_layout(model, dict(state_dict=state))  # no recorded config: nothing to compare
    same = copy.deepcopy(cfg)
    same.model.backbone.out_indices = (0, 1, 2, -1)  # the same blocks, counted from the end
    check_feature_layout(model, dict(meta=dict(cfg=same.pretty_text), state_dict=state))
    # the runner's hook, and its opt-out
    runner = SimpleNamespace(model=model)
    with pytest.raises(CheckpointMismatchError, match='check_layout=False'):
        CheckpointMatchHook().after_load_checkpoint(runner, checkpoint)
    CheckpointMatchHook(check_layout=False).after_load_checkpoint(runner, checkpoint)


def test_the_layout_of_a_dual_pathway_model_is_its_pathways():
    model = build(tiny_model_cfg())  # DualPathwaySegmentor, a ResNet DeepLabv3+ in each pathway
    head = model.pathway1.decode_head
    cfg = tiny_model_cfg()
    cfg['decode_head'] = dict(cfg['decode_head'], in_index=head.in_index - 1)
    from mmengine.config import Config
    recorded = Config(dict(model=cfg)).pretty_text
    with pytest.raises(CheckpointMismatchError, match='decode_head.in_index'):
        check_feature_layout(model, dict(meta=dict(cfg=recorded)))


class _SneakyGetattr:
    """Pickles as getattr(HistoryBuffer, '__init__'): an attribute walk weights-only must refuse."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


def test_getattr_is_only_resolved_for_history_buffer_statistics(tmp_path, monkeypatch):
    monkeypatch.delenv(ALLOW_PICKLE_ENV, raising=False)
    path = str(tmp_path / 'sneaky.pth')
    torch.save({'x': _SneakyGetattr()}, path)
    with pytest.raises(CheckpointSecurityError):
        load_local_checkpoint(path)
