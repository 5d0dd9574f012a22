"""deft_mmseg: domain-generalized semantic segmentation for MMSegmentation 1.x.

``import deft_mmseg`` (or ``custom_imports=dict(imports=['deft_mmseg'])`` in a config) registers
every component into mmseg's registries (scope ``mmseg``) and installs the weights-only-safe
checkpoint loader for local files (see ``deft_mmseg.engine.checkpoint_loading``).
"""
from .version import __version__  # noqa: F401
from . import datasets, evaluation, engine, hooks, models, utils  # noqa: F401,E402
from .utils.checkpoint_loading import install_checkpoint_loader  # noqa: E402

install_checkpoint_loader()
