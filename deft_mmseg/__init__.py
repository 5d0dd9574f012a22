"""deft_mmseg: domain-generalized semantic segmentation for MMSegmentation 1.x.

``import deft_mmseg`` (or ``custom_imports=dict(imports=['deft_mmseg'])`` in a config):

- refuses an mmengine / mmseg / mmcv (mmdet, mmpretrain) outside the supported versions
  (``deft_mmseg.version.SUPPORTED_VERSIONS``; ``DEFT_MMSEG_SKIP_VERSION_CHECK=1`` to try anyway);
- registers every component into mmseg's registries (scope ``mmseg``);
- makes ``deft_mmseg::<path>`` config references resolve to the configs shipped in the package;
- installs the weights-only-safe loader for local checkpoint files
  (``deft_mmseg.utils.checkpoint_loading``), which loads mmengine's own checkpoints under
  torch >= 2.6. This changes how the whole process loads local checkpoints; to keep mmengine's
  loader, set ``DEFT_MMSEG_SAFE_LOADER=0`` before the import, or call
  ``deft_mmseg.uninstall_checkpoint_loader()`` after it;
- makes mmseg's ``init_model`` and ``MMSegInferencer`` refuse a checkpoint that does not fit the
  model of their config (``deft_mmseg.apis.inference_checkpoint``;
  ``deft_mmseg.apis.uninstall_inference_checkpoint_check()`` gives mmseg's loading back);
- silences the warnings of ``deft_mmseg.utils.warning_filters.SILENCED`` (mmengine's use of
  ``pkg_resources``), which say nothing a user can act on.
"""
from .utils.warning_filters import silence_uninformative_warnings
from .version import __version__  # noqa: F401

silence_uninformative_warnings()  # first: the stack's imports below would print them

from .utils.version_check import check_versions  # noqa: E402

check_versions()

from . import datasets, engine, evaluation, models, utils  # noqa: F401,E402
from .apis.inference_checkpoint import install_inference_checkpoint_check  # noqa: E402
from .utils.checkpoint_loading import install_checkpoint_loader  # noqa: E402,F401
from .utils.checkpoint_loading import (install_checkpoint_loader_unless_disabled,
                                       uninstall_checkpoint_loader)
from .utils.package_configs import config_root, register_config_scope  # noqa: E402,F401

register_config_scope()
install_checkpoint_loader_unless_disabled()
install_inference_checkpoint_check()
