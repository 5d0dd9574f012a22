"""Up-front checks of dataset configs, so bad paths fail with a message instead of a deep trace."""
import os.path as osp

from mmseg.registry import DATASETS

from ..utils.errors import DatasetConfigError


def _iter_dataset_cfgs(cfg):
    """Yield the leaf dataset configs inside wrappers (ConcatDataset, RepeatDataset, ...)."""
    if cfg is None:
        return
    if isinstance(cfg, (list, tuple)):
        for c in cfg:
            yield from _iter_dataset_cfgs(c)
        return
    if 'datasets' in cfg:
        yield from _iter_dataset_cfgs(cfg['datasets'])
    elif 'dataset' in cfg:
        yield from _iter_dataset_cfgs(cfg['dataset'])
    else:
        yield cfg


def domain_dataset_cfgs(loader_cfg):
    """``{domain: dataset config}`` of a dataloader config: its ``datasets`` mapping (the
    multi-domain loops' form), or its single ``dataset`` named by ``domain_name`` or its type
    (``CityscapesDataset`` -> ``cityscapes``)."""
    datasets = loader_cfg.get('datasets')
    if datasets is not None:
        return dict(datasets)
    dataset = loader_cfg.get('dataset')
    if dataset is None:
        return {}
    name = loader_cfg.get('domain_name')
    if name is None:
        name = dataset.get('type', 'dataset')
        name = name.__name__ if isinstance(name, type) else str(name)
        name = name[:-len('Dataset')].lower() if name.endswith('Dataset') else name.lower()
    return {name: dataset}


def check_dataset_cfg(cfg, where='dataset'):
    """Check that a dataset config's type is registered and its data paths exist.

    Args:
        cfg (dict): a dataset config (wrappers are searched for their leaves).
        where (str): the config key, used in messages (e.g. ``'val_dataloader.cityscapes'``).

    Raises:
        DatasetConfigError: naming the key, the missing path and how to fix it.
    """
    for leaf in _iter_dataset_cfgs(cfg):
        type_name = leaf.get('type')
        if isinstance(type_name, str) and DATASETS.get(type_name) is None:
            raise DatasetConfigError(
                f'{where}: unknown dataset type {type_name!r}. Registered types include '
                f'GTAVDataset, SynthiaDataset, CityscapesDataset, BDD100KDataset, '
                f'MapillaryCS19Dataset, ACDCDataset; add custom_imports=dict(imports='
                f"['deft_mmseg']) to the config if these are missing.")
        data_root = leaf.get('data_root') or ''
        if data_root and not osp.isdir(data_root):
            raise DatasetConfigError(
                f'{where}: data_root {data_root!r} of {type_name} does not exist. Put the data '
                f'there (see docs/datasets.md) or set {where}.data_root (e.g. --cfg-options).')
        prefix = leaf.get('data_prefix') or {}
        for key in ('img_path', 'seg_map_path'):
            rel = prefix.get(key)
            if rel is None or rel == '':
                continue
            path = osp.join(data_root, rel)
            if not osp.isdir(path):
                raise DatasetConfigError(
                    f'{where}: data_prefix.{key} {path!r} of {type_name} does not exist. Check '
                    f'the split name and layout in docs/datasets.md (did the converter run?).')
        ann_file = leaf.get('ann_file')
        if ann_file:
            path = ann_file if osp.isabs(ann_file) else osp.join(data_root, ann_file)
            if not osp.isfile(path):
                raise DatasetConfigError(f'{where}: ann_file {path!r} of {type_name} does not '
                                         f'exist (the split list). Write it or drop ann_file.')


def check_num_classes(model, dataset_metainfo, where='dataset'):
    """Raise when the model's ``num_classes`` disagrees with the dataset's class count."""
    num_classes = getattr(model, 'num_classes', None)
    classes = (dataset_metainfo or {}).get('classes')
    if num_classes is None or classes is None:
        return
    if int(num_classes) != len(classes):
        raise DatasetConfigError(
            f'{where}: the model predicts num_classes={num_classes} but the dataset has '
            f'{len(classes)} classes ({", ".join(classes[:5])}, ...). Set '
            f'model.decode_head.num_classes={len(classes)} or use a dataset with '
            f'{num_classes} classes.')
