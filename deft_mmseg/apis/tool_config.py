"""How the tools read the config a user names: old config names, ``--demo [ITERS]``."""
import sys

from ..demo.demo_config import demo_run_config
from ..utils.config_names import renamed_base_error, resolve_config_path


def load_config(path, demo_iters=None):
    """``Config.fromfile(path)`` as the tools need it.

    A renamed config's old path loads the new file (one ``note:`` line on stderr); a removed
    ``*_demo.py`` or a user's ``_base_`` line naming an old file raises a
    :class:`~deft_mmseg.utils.errors.ConfigNameError` naming the new one. ``demo_iters`` (the
    value of ``--demo``) turns the config into its demo run (:func:`demo_run_config`).
    """
    from mmengine.config import Config
    path, note = resolve_config_path(path)
    if note:
        print(note, file=sys.stderr)
    try:
        cfg = Config.fromfile(path)
    except FileNotFoundError as exc:
        renamed = renamed_base_error(exc)
        if renamed is None:
            raise
        raise renamed from None
    return cfg if demo_iters is None else demo_run_config(cfg, demo_iters)
