"""How the tools read the config a user names: the file itself, or its ``--demo [ITERS]`` run."""
from typing import Optional

from mmengine.config import Config

from ..demo.demo_config import demo_run_config


def load_config(path: str, demo_iters: Optional[int] = None) -> Config:
    """``Config.fromfile(path)``, turned into its demo run (:func:`demo_run_config`) when
    ``demo_iters`` (the value of ``--demo``) is given."""
    cfg = Config.fromfile(path)
    return cfg if demo_iters is None else demo_run_config(cfg, demo_iters)
