"""What the tools and mmseg's inference API use from deft_mmseg.

- :mod:`.tool_config`: how the tools read the config a user names (old names, ``--demo``; the
  tools declare their arguments in ``tools/tool_arguments.py``, without importing the stack);
- :mod:`.inference_inputs`: the images, folders and videos ``tools/infer.py`` reads;
- :mod:`.inference_checkpoint`: mmseg's ``init_model`` / ``MMSegInferencer`` refuse a checkpoint
  that does not fit its config's model (installed by ``import deft_mmseg``).
"""
from .inference_checkpoint import (check_inference_checkpoint, install_inference_checkpoint_check,
                                   uninstall_inference_checkpoint_check)
from .tool_config import load_config

__all__ = [
    'load_config', 'check_inference_checkpoint', 'install_inference_checkpoint_check',
    'uninstall_inference_checkpoint_check'
]
