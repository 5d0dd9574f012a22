"""The demo's pretrained tiny encoders: corpus, cache, and loading through mmseg's init_cfg path."""
import copy
import os

import numpy as np
import pytest
import torch
from mmengine.config import Config

from deft_mmseg.demo import DEMO_TARGET_DOMAINS, pretraining
from deft_mmseg.utils.errors import CheckpointMismatchError
from repo_paths import config_path

# Cityscapes' categories by class name (cityscapesScripts' labels.py), written out here
CITYSCAPES_CATEGORY = {
    'road': 'flat',
    'sidewalk': 'flat',
    'building': 'construction',
    'wall': 'construction',
    'fence': 'construction',
    'pole': 'object',
    'traffic light': 'object',
    'traffic sign': 'object',
    'vegetation': 'nature',
    'terrain': 'nature',
    'sky': 'sky',
    'person': 'human',
    'rider': 'human',
    'car': 'vehicle',
    'truck': 'vehicle',
    'bus': 'vehicle',
    'train': 'vehicle',
    'motorcycle': 'vehicle',
    'bicycle': 'vehicle'
}


def test_categories_are_cityscapes_categories():
    from mmseg.datasets import CityscapesDataset
    classes = CityscapesDataset.METAINFO['classes']
    got = [pretraining.CATEGORY_NAMES[c] for c in pretraining.CATEGORY_OF_TRAIN_ID]
    assert got == [CITYSCAPES_CATEGORY[name] for name in classes]


def test_corpus_is_deterministic_and_avoids_the_target_styles():
    a_img, a_lab = pretraining.make_corpus(6, seed=3)
    b_img, b_lab = pretraining.make_corpus(6, seed=3)
    assert np.array_equal(a_img, b_img) and np.array_equal(a_lab, b_lab)
    assert a_lab.max() < len(pretraining.CATEGORY_NAMES) and len(np.unique(a_lab)) >= 5
    assert not np.array_equal(pretraining.make_corpus(6, seed=4)[0], a_img)
    rng = np.random.default_rng(0)
    styles = [pretraining.random_style(rng) for _ in range(3000)]
    fog, night = DEMO_TARGET_DOMAINS['demo_fog'], DEMO_TARGET_DOMAINS['demo_night']
    assert max(s['fog'] for s in styles) < fog['fog']
    assert min(s['light'] for s in styles) > night['light']
    assert max(s['noise'] for s in styles) < night['noise']
    assert any(s['fog'] > 0 for s in styles)  # but weather and lighting do vary
    # palettes are drawn per image, not a transform of one palette
    assert np.std([s['palette'][13] for s in styles], axis=0).min() > 40


def _quick(recipes):
    """Pretraining recipes cut to a few steps on a few images (the full ones take minutes)."""
    recipes = copy.deepcopy(recipes)
    for recipe in recipes.values():
        recipe.update(steps=3, batch_size=2, held_out=2)
        recipe['corpus'] = dict(recipe['corpus'], num_images=6)
    return recipes


@pytest.fixture
def quick_recipes(monkeypatch):
    recipes = _quick(pretraining.RECIPES)
    monkeypatch.setattr(pretraining, 'RECIPES', recipes)
    return recipes


@pytest.fixture(scope='module')
def quick_files(tmp_path_factory):
    """Both encoders pretrained with the quick recipes, once for the module."""
    root = str(tmp_path_factory.mktemp('pretrained'))
    with pytest.MonkeyPatch.context() as mp:
        recipes = _quick(pretraining.RECIPES)
        mp.setattr(pretraining, 'RECIPES', recipes)
        return {
            kind: pretraining.ensure_pretrained_encoder(root, kind, log=lambda *_: None)
            for kind in recipes
        }, recipes


def _demo_model(model_file, checkpoint):
    from mmseg.registry import MODELS
    cfg = Config.fromfile(config_path('_base_', 'models', model_file)).model
    cfg.backbone.init_cfg = dict(type='Pretrained', checkpoint=checkpoint)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


@pytest.mark.parametrize('kind,model_file', [
    ('resnet', 'deeplabv3plus_tiny_demo.py'),
    ('resnet-torchvision', 'deeplabv3plus_robustnet_tiny_demo.py'),
    ('vit', 'vfm_vit_tiny_demo.py'),
])
def test_pretrained_file_loads_through_init_cfg(kind, model_file, quick_files):
    paths, recipes = quick_files
    path = paths[kind]
    saved = torch.load(path, map_location='cpu', weights_only=False)
    assert saved['meta']['recipe'] == recipes[kind]
    model = _demo_model(model_file, path)
    state = model.backbone.state_dict()
    keys = [k for k in state if k.startswith('vit.')] if kind == 'vit' else list(state)
    assert set(saved['state_dict']) == set(keys)
    for key in keys:
        assert torch.equal(state[key], saved['state_dict'][key]), key


def test_vit_refuses_the_resnet_file(quick_files):
    with pytest.raises(CheckpointMismatchError):
        _demo_model('vfm_vit_tiny_demo.py', quick_files[0]['resnet'])


def test_mini_dg_refuses_the_other_resnet_file(quick_files):
    """The two tiny ResNets share every key but the stem's; mmengine's Pretrained init would load
    the other's file without a word (a random stem), the benchmark refuses it."""
    import importlib.util
    spec = importlib.util.spec_from_file_location('mini_dg',
                                                  config_path('..', 'benchmarks', 'mini_dg.py'))
    mini_dg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mini_dg)
    paths = quick_files[0]
    for model_file, wrong in (('deeplabv3plus_robustnet_tiny_demo.py', 'resnet'),
                              ('deeplabv3plus_tiny_demo.py', 'resnet-torchvision')):
        backbone = Config.fromfile(config_path('_base_', 'models', model_file)).model.backbone
        with pytest.raises(CheckpointMismatchError, match='stem|conv1|missing'):
            mini_dg.check_encoder_fits(backbone, paths[wrong], wrong)
        right = 'resnet' if wrong == 'resnet-torchvision' else 'resnet-torchvision'
        mini_dg.check_encoder_fits(backbone, paths[right], right)


def test_cache_is_reused_only_for_the_same_recipe(tmp_path, quick_recipes):
    lines = []
    path = pretraining.ensure_pretrained_encoder(str(tmp_path), 'resnet', log=lines.append)
    stamp = os.stat(path).st_mtime_ns
    pretraining.ensure_pretrained_encoder(str(tmp_path), 'resnet', log=lines.append)
    assert os.stat(path).st_mtime_ns == stamp and 'cached' in lines[-1]
    quick_recipes['resnet']['steps'] = 4
    pretraining.ensure_pretrained_encoder(str(tmp_path), 'resnet', log=lines.append)
    assert any('another recipe' in line for line in lines)
    saved = torch.load(path, map_location='cpu', weights_only=False)
    assert saved['meta']['recipe']['steps'] == 4
    assert not os.path.exists(path + '.tmp')
