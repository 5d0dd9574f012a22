"""Config names follow mmseg's scheme and tell the truth (docs/configs.md)."""
import os.path as osp
import re

from repo_paths import CONFIGS, config_path

#: {method}_{model}_{N}xb{B}-{iters}k_{source}-{H}x{W}[_{variant}].py (docs/configs.md)
NAME = re.compile(r'^(?P<front>[a-z0-9.-]+(?:_[a-z0-9.-]+)+)_(?P<gpus>\d+)xb(?P<batch>\d+)'
                  r'-(?P<iters>\d+)k_(?P<source>gtav|synthia|cityscapes(?:-[a-z]+)?)'
                  r'-(?P<h>\d+)x(?P<w>\d+)(?:_(?P<variant>[A-Za-z0-9.-]+))?\.py$')
SOURCE_DATASET = {
    'gtav': 'GTAVDataset',
    'synthia': 'SynthiaDataset',
    'cityscapes': 'CityscapesDataset'
}


def _train_length(train_cfg):
    """Iterations of a run: max_iters, or the stages of a two-stage loop added up."""
    if train_cfg.get('max_iters'):
        return train_cfg['max_iters']
    return train_cfg['warmup_iters'] + train_cfg.get('decoupled_iters', train_cfg.get('tune_iters'))


def _resnet_output_stride(model):
    """Output stride of the (first) ResNet in a model config: the stem's 4 times the stage strides;
    ``None`` without a ResNet."""
    if isinstance(model, dict):
        if 'depth' in model and 'strides' in model:
            stride = 4
            for s in model['strides']:
                stride *= s
            return stride
        model = list(model.values())
    if isinstance(model, (list, tuple)):
        for item in model:
            found = _resnet_output_stride(item)
            if found:
                return found
    return None


def _name_mismatches(config, cfg):
    """What the name of ``config`` says that its content does not (empty when it tells the
    truth); the numbers are read back from the config, not from the rename table."""
    match = NAME.match(osp.basename(config))
    if not match:
        return ['not {method}_{model}_{N}xb{B}-{iters}k_{source}-{H}x{W}[_{variant}].py']
    dataset = cfg.train_dataloader.dataset
    crops = [
        t['crop_size'] for t in dataset.pipeline
        if t['type'] in ('RandomCrop', 'CentroidRandomCrop')
    ]
    if dataset.type == 'ClassUniformDataset':  # the wrapper holds the pipeline, its dataset the source
        dataset = dataset.dataset
    said_and_found = [('batch', int(match['batch']), cfg.train_dataloader.batch_size),
                      ('iterations', int(match['iters']) * 1000, _train_length(cfg.train_cfg)),
                      ('source', SOURCE_DATASET[match['source'].split('-')[0]], dataset.type),
                      ('crop', [(int(match['h']), int(match['w']))], crops)]
    dilated = re.search(r'_r\d+[a-z]?-d(\d+)_', osp.basename(config))  # mmseg: r50-d8 = stride 8
    if dilated:
        said_and_found.append(
            ('output stride', int(dilated[1]), _resnet_output_stride(cfg.model.to_dict())))
    return [
        f'{what}: name says {said}, config has {found}' for what, said, found in said_and_found
        if said != found
    ]


def test_every_config_parses_imports_the_plugin_and_is_named_for_its_recipe():
    """Every config loads, brings the plugin in by custom_imports, names no Mask2Former head that
    fails under slide inference, and its name states its batch, length, source, crop and a ResNet's output stride
    (``r50-d8``, ``r50-d16``): a name that says 48k over a 40K schedule, or 512x512 over a 768
    crop, fails."""
    from mmengine.config import Config
    assert len(CONFIGS) >= 100
    wrong = {}
    for config in CONFIGS:
        cfg = Config.fromfile(config_path(config))
        assert cfg.custom_imports['imports'] == ['deft_mmseg'], config
        assert cfg.default_scope == 'mmseg'
        assert 'model' in cfg and 'train_dataloader' in cfg, config
        # mmseg's own Mask2FormerHead fails under slide inference (mmseg issue 3666)
        assert cfg.model.decode_head.type.split('.')[-1] != 'Mask2FormerHead', config
        mismatches = _name_mismatches(config, cfg)
        if mismatches:
            wrong[config] = mismatches
    assert wrong == {}
