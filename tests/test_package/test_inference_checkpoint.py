"""mmseg's own inference API after ``import deft_mmseg``, given a checkpoint of another network
than its config's (a ``--demo`` run's checkpoint with the full-size config): one clear error, not
hundreds of size-mismatch warnings and predictions of a half-random model; and the way that
works, the config the run dumped into its work dir."""
import os.path as osp

import numpy as np
import pytest
import torch

from e2e_helpers import DEFT


@pytest.fixture
def demo_run(short_deft_run):
    work = short_deft_run / 'run'
    return str(work / 'iter_3.pth'), str(work / osp.basename(DEFT))


def test_init_model_and_inferencer_refuse_a_checkpoint_of_another_network(demo_run, capsys):
    from mmseg.apis import MMSegInferencer, init_model

    from deft_mmseg.utils.errors import CheckpointMismatchError
    ckpt, _ = demo_run
    for build in (lambda: init_model(DEFT, ckpt, device='cpu'),
                  lambda: MMSegInferencer(model=DEFT, weights=ckpt, device='cpu')):
        with pytest.raises(CheckpointMismatchError) as error:
            build()
        message = str(error.value)
        assert '\n' not in message and 'weights differ in shape' in message
        assert 'dumped it into the work dir' in message and '--demo' in message
    assert 'size mismatch' not in capsys.readouterr().out  # refused before mmengine's warnings


def test_the_dumped_config_loads_the_demo_checkpoint_exactly(demo_run, demo_root, monkeypatch):
    from mmseg.apis import MMSegInferencer, inference_model, init_model

    from deft_mmseg.utils.checkpoint_loading import load_local_checkpoint
    ckpt, dumped = demo_run
    model = init_model(dumped, ckpt, device='cpu')
    saved = load_local_checkpoint(ckpt)['state_dict']
    state = model.state_dict()
    assert all(torch.equal(state[k], saved[k]) for k in state)
    image = osp.join(demo_root, 'demo_real', 'leftImg8bit', 'val', 'demo',
                     'demo_000000_000019_leftImg8bit.png')
    expected = inference_model(model, image).pred_sem_seg.data[0].numpy()
    got = MMSegInferencer(model=dumped, weights=ckpt, device='cpu')(image)['predictions']
    np.testing.assert_array_equal(got, expected)


def test_init_model_refuses_a_checkpoint_of_another_feature_layout(tmp_path):
    """Every weight fits, the head reads another level: only the recorded config tells."""
    import copy

    from mmengine.config import Config
    from mmseg.apis import init_model
    from mmseg.registry import MODELS

    from deft_mmseg.utils.errors import CheckpointMismatchError
    from repo_paths import config_path
    cfg = Config.fromfile(config_path('_base_', 'models', 'vfm_vit_tiny_deeplabv3plus_demo.py'))
    cfg.model.backbone.init_cfg = None
    old = copy.deepcopy(cfg)
    old.model.decode_head.in_index = 2
    path = str(tmp_path / 'old_layout.pth')
    torch.save(
        dict(meta=dict(cfg=old.pretty_text), state_dict=MODELS.build(cfg.model).state_dict()), path)
    config = str(tmp_path / 'model.py')
    cfg.dump(config)
    with pytest.raises(CheckpointMismatchError, match='decode_head.in_index: checkpoint 2'):
        init_model(config, path, device='cpu')
    old.dump(config)
    init_model(config, path, device='cpu')  # the config it was trained with


def test_the_check_can_be_given_back_to_mmseg():
    from mmengine.runner import checkpoint
    from mmseg.apis import inference, mmseg_inferencer

    from deft_mmseg.apis import (install_inference_checkpoint_check,
                                 uninstall_inference_checkpoint_check)
    uninstall_inference_checkpoint_check()
    try:
        assert inference.load_checkpoint is checkpoint.load_checkpoint
        assert mmseg_inferencer._load_checkpoint_to_model is checkpoint._load_checkpoint_to_model
    finally:
        install_inference_checkpoint_check()
    assert inference.load_checkpoint is not checkpoint.load_checkpoint
