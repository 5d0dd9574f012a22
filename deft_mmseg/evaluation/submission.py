"""Test-server submissions (``tools/test.py --format-only --out DIR``).

The Cityscapes and ACDC servers read one PNG of Cityscapes label ids per test image, matched by
the image's name. :func:`prepare_submission` turns a multi-domain test config into that: no label
is loaded (test splits have none), the metric writes ``DIR/<domain>/<image folder>/<image
stem>.png`` in label ids instead of computing scores; :func:`zip_submission` then packs each
domain as ``DIR/<domain>.zip``. Only datasets with the 19 Cityscapes classes have a label-id
mapping; another domain (e.g. ADE20K's 150 classes) is refused before anything runs.
"""
import os
import os.path as osp
import zipfile

from mmseg.datasets import CityscapesDataset
from mmseg.registry import DATASETS

from ..datasets.checks import domain_dataset_cfgs
from ..utils.errors import DatasetConfigError

#: transforms that read or check labels, dropped from the test pipelines
LABEL_TRANSFORMS = ('LoadAnnotations', 'CheckImageLabelPair')


def _classes(ds_cfg):
    if ds_cfg.get('metainfo', {}).get('classes'):
        return tuple(ds_cfg['metainfo']['classes'])
    dataset_type = DATASETS.get(ds_cfg.get('type')) if isinstance(ds_cfg.get('type'), str) \
        else ds_cfg.get('type')
    return tuple((getattr(dataset_type, 'METAINFO', None) or {}).get('classes', ()))


def prepare_submission(cfg, out_dir):
    """Set ``cfg`` up for ``--format-only``: raises :class:`DatasetConfigError` for a domain
    without the Cityscapes label-id mapping, or without ``--out``."""
    if not out_dir:
        raise DatasetConfigError('--format-only writes server files: give --out DIR.')
    cityscapes = tuple(CityscapesDataset.METAINFO['classes'])
    for name, ds in domain_dataset_cfgs(cfg.test_dataloader).items():
        if _classes(ds) != cityscapes:
            raise DatasetConfigError(
                f'--format-only: domain {name!r} ({ds.get("type")}) does not have the 19 '
                f'Cityscapes classes, so there is no label-id mapping for its server files. '
                f'Remove it from test_dataloader.datasets (e.g. a config with Cityscapes/ACDC '
                f'targets only).')
        ds['pipeline'] = [
            t for t in ds.get('pipeline', []) if t.get('type') not in LABEL_TRANSFORMS
        ]
        prefix = dict(ds.get('data_prefix') or {})
        prefix.pop('seg_map_path', None)  # test splits have no labels
        ds['data_prefix'] = prefix
    cfg.test_evaluator.update(
        format_only=True, output_dir=out_dir, keep_results=True, label_ids='cityscapes')
    return cfg


def zip_submission(cfg, out_dir):
    """``DIR/<domain>.zip`` of each domain's folder (paths inside relative to it)."""
    zips = []
    for name in domain_dataset_cfgs(cfg.test_dataloader):
        folder = osp.join(out_dir, name)
        path = osp.join(out_dir, f'{name}.zip')
        with zipfile.ZipFile(path + '.part', 'w', zipfile.ZIP_DEFLATED) as z:
            for root, _, files in os.walk(folder):
                for f in sorted(files):
                    z.write(osp.join(root, f), osp.relpath(osp.join(root, f), folder))
        os.replace(path + '.part', path)
        zips.append(path)
    return zips
