"""Kept for imports written before the loader moved to ``deft_mmseg.utils.checkpoint_loading``
(the bottom layer, so that models can load files without importing the engine)."""
from ..utils.checkpoint_loading import (ALLOW_PICKLE_ENV, CheckpointSecurityError,  # noqa: F401
                                        install_checkpoint_loader, load_local_checkpoint,
                                        read_checkpoint_meta, refused_global,
                                        trusted_checkpoint_globals)

__all__ = ['ALLOW_PICKLE_ENV', 'CheckpointSecurityError', 'install_checkpoint_loader',
           'load_local_checkpoint', 'read_checkpoint_meta', 'refused_global',
           'trusted_checkpoint_globals']
