"""Every private mmengine name deft_mmseg uses, in one place.

mmengine has no public API for these; they are used as they are in the supported range (see
``deft_mmseg/utils/version_check.py``). If an mmengine release renames or changes one, only this
module needs to change; what breaks for each is noted beside it.

- ``ParamSchedulerBase`` (mmengine ``_ParamScheduler``) and ``INF``: base class of the stage
  schedulers (``engine/stage_schedulers.py``). If its ``__init__``/``_get_value`` contract
  changes, ``StagePolyParamScheduler``/``StageConstantParamScheduler`` fail to build or step.
- ``parse_losses`` / ``update_losses`` (mmengine ``runner.loops._parse_losses`` /
  ``_update_losses``, added in 0.10.5): how mmengine's own ``ValLoop``/``TestLoop`` log the loss on
  validation data; ``MultiDomainValLoop``/``MultiDomainTestLoop`` do the same per domain. Missing:
  import error of this module (so the version check asks for mmengine >= 0.10.5).
- :func:`image_save_dirs` (a visualizer's ``_vis_backends`` and ``LocalVisBackend._img_save_dir``):
  the multi-domain test loop writes ``--show-dir`` images of each domain to its own folder.
  Renamed: images of all domains land in one folder again (files of the same name overwrite).
"""
import contextlib
import os.path as osp

from mmengine.optim.scheduler.param_scheduler import INF  # noqa: F401
from mmengine.optim.scheduler.param_scheduler import _ParamScheduler as ParamSchedulerBase
from mmengine.runner.loops import _parse_losses as parse_losses  # noqa: F401
from mmengine.runner.loops import _update_losses as update_losses  # noqa: F401

__all__ = ['INF', 'ParamSchedulerBase', 'parse_losses', 'update_losses', 'image_save_dirs']


@contextlib.contextmanager
def image_save_dirs(visualizer, subdir):
    """Within the block, the visualizer's local backends save images under ``<their dir>/subdir``
    (mmengine's ``LocalVisBackend`` has no public setter for its image folder)."""
    backends = [
        b for b in getattr(visualizer, '_vis_backends', {}).values() if hasattr(b, '_img_save_dir')
    ]
    saved = [b._img_save_dir for b in backends]
    for b, base in zip(backends, saved):
        b._img_save_dir = osp.join(base, subdir)
    try:
        yield
    finally:
        for b, base in zip(backends, saved):
            b._img_save_dir = base
