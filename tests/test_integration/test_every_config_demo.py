"""Every config of configs/ trains a few iterations on the demo data (`tools/train.py --demo`:
the config's method with the tiny network of its family).

The default run trains one config per method / head / backbone family that no other default test
trains (REPRESENTATIVE) and checks for every config that its demo variant keeps the method; `make test-slow` trains all of them."""
import glob
import json
import os.path as osp

import pytest
import train as train_tool

from repo_paths import CONFIGS, REPO, shipped_config

#: one config per segmentor / head / backbone / PEFT / hook combination that no other default
#: test trains (test_e2e_demo.py trains the DeFT DeepLabv3+ demo in its resume test and the plain
#: baseline through mmseg's own train.py; test_fishertune_training.py the FisherTune DINOv2 and EVA02 demos): the
#: rest train under `make test-slow`
REPRESENTATIVE = {
    'deft/deft_segformer_mit-b5_1xb4-48k_gtav-768x768.py',  # DeFT + SegFormer
    'deft/deft_mask2former_r50_1xb4-48k_gtav-768x768.py',  # DeFT + Mask2Former (slide)
    'deft/deft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768_diagnostics.py',  # Fig. 3 hooks
    'deft/deft-rein_dinov2-l_mask2former_1xb4-48k_gtav-512x512.py',  # one shared frozen trunk
    'deft/deft-vltseg_eva-clip-l_mask2former_1xb4-48k_gtav-512x512.py',  # shared text tower
    'baselines/lpft_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768_diagnostics.py',  # staged
    'baselines/freeze-decoder_deeplabv3plus_r50-d16_1xb4-48k_gtav-768x768.py',
    'baselines/vfm/lora_dinov2-l_mask2former_1xb4-40k_gtav-512x512.py',  # PEFT by forward hooks
    'rein/rein_sam-h_mask2former_1xb4-40k_cityscapes-512x512.py',  # Rein, SAM windows
    'vltseg/vltseg_eva-clip-l_mask2former_8xb2-5k_gtav-512x512.py',  # VLTSeg, EVA-CLIP
}
TRAIN_PARAMS = [
    c if c in REPRESENTATIVE else pytest.param(c, marks=pytest.mark.slow) for c in CONFIGS
]


def test_representative_configs_exist():
    assert REPRESENTATIVE <= set(CONFIGS)


def _scalars(work):
    lines = []
    for path in glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json')):
        lines += [json.loads(line) for line in open(path)]
    return lines


@pytest.mark.parametrize('config', TRAIN_PARAMS)
def test_config_trains_on_demo_data(demo_cwd, config):
    work = str(demo_cwd / 'work')
    train_tool.main([osp.join(REPO, 'configs', config), '--demo', '--work-dir', work])
    assert osp.isfile(osp.join(work, 'iter_6.pth'))
    results = json.load(open(osp.join(work, 'multi_domain_results.json')))
    assert set(results) == {'demo_real', 'demo_fog', 'demo_night', 'avg'}
    if 'diagnostics' in config:
        keys = set().union(*(s.keys() for s in _scalars(work)))
        assert {'dist_l2/encoder', 'dist_mars/decoder', 'dist_operator/encoder',
                'target/loss_ce'} <= keys


@pytest.mark.parametrize('config', CONFIGS)
def test_demo_variant_keeps_the_method(config):
    """--demo swaps network size and data, never the method of the config."""
    from deft_mmseg.demo import make_demo_config
    cfg = shipped_config(config)
    demo = make_demo_config(cfg)
    for key in ('type', 'final_model', 'distance_reg', 'after_warmup', 'fishertune'):
        assert demo.model.get(key) == cfg.model.get(key), key
    assert demo.model.decode_head.type == cfg.model.decode_head.type
    assert demo.model.backbone.type == cfg.model.backbone.type
    assert demo.model.backbone.get('feature_perturbation') == \
        cfg.model.backbone.get('feature_perturbation')
    if cfg.model.backbone.type == 'VFMVisionTransformer':
        assert (demo.model.backbone.get('freeze_vit',
                                        True) == cfg.model.backbone.get('freeze_vit', True))
    assert demo.train_cfg.type == cfg.train_cfg.type
    for key in ('reins', 'peft'):
        original = cfg.model.backbone.get(key)
        assert (demo.model.backbone.get(key) is None) == (original is None), key
        if original is not None:
            assert demo.model.backbone[key]['type'] == original['type']
    assert ([h['type'] for h in demo.get('custom_hooks', [])
             ] == [h['type'] for h in cfg.get('custom_hooks', [])])
    assert demo.train_cfg.type == cfg.train_cfg.type
    assert bool(demo.model.get('auxiliary_head')) == bool(cfg.model.get('auxiliary_head'))
    if cfg.model.backbone.type == 'VFMVisionTransformer':  # EVA02 / EVA-CLIP trunks stay so
        assert ('ViTEVA02' in demo.model.backbone.vit.type) == ('ViTEVA02'
                                                                in cfg.model.backbone.vit.type)
        for key in ('eva02_rope', 'eva02_attention'):
            if 'ViTEVA02' in cfg.model.backbone.vit.type:
                assert demo.model.backbone.get(key) == cfg.model.backbone.get(key), key
    if cfg.model.decode_head.type == 'VLTSegMask2FormerHead':  # the text side and PTM loss
        for key in ('temperature', 'score_map_level', 'loss_ptm'):
            assert demo.model.decode_head[key] == cfg.model.decode_head[key], key
        for key in ('dataset_name', 'vocabulary', 'templates', 'act_cfg'):
            assert (demo.model.decode_head.text_encoder.get(key) ==
                    cfg.model.decode_head.text_encoder.get(key)), key


@pytest.mark.parametrize('config', CONFIGS)
def test_demo_variant_keeps_the_protocol_at_scaled_sizes(config):
    """--demo keeps what is the config's own and not a matter of size: the inference mode (a
    sliding window scaled with the image: 64 / the config's crop), the data preprocessor but for
    its size, and the transforms of the train and test pipelines, in order."""
    from deft_mmseg.demo import make_demo_config
    cfg = shipped_config(config)
    demo = make_demo_config(cfg)
    crop = max(cfg.model.data_preprocessor.size)
    test_cfg = cfg.model.get('test_cfg') or {}
    assert demo.model.test_cfg.get('mode', 'whole') == test_cfg.get('mode', 'whole')
    if test_cfg.get('mode') == 'slide':
        for key in ('crop_size', 'stride'):
            assert list(demo.model.test_cfg[key]) == [round(v * 64 / crop) for v in test_cfg[key]]
    ours, theirs = dict(demo.model.data_preprocessor), dict(cfg.model.data_preprocessor)
    assert tuple(ours.pop('size')) == (64, 64) and theirs.pop('size')
    assert ours == theirs

    def types(pipeline):
        return [t['type'] for t in pipeline]
    assert types(demo.train_dataloader.dataset.pipeline) == \
        types(cfg.train_dataloader.dataset.pipeline)
    targets = list(cfg.val_dataloader.datasets.values())
    for i, ds in enumerate(demo.val_dataloader.datasets.values()):
        assert types(ds.pipeline) == types(targets[i % len(targets)].pipeline)
