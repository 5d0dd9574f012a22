"""How the tools read the config a user names: the file itself, or its ``--demo [ITERS]`` run."""
from typing import Optional

from mmengine.config import Config

from ..demo.demo_config import demo_run_config
from ..demo.demo_data import locate_demo_data, missing_demo_data_error


def load_config(path: str, demo_iters: Optional[int] = None, demo_data: bool = True) -> Config:
    """``Config.fromfile(path)``, turned into its demo run (:func:`demo_run_config`) when
    ``demo_iters`` (the value of ``--demo``) is given, on the demo data found from any working
    directory (:func:`~deft_mmseg.demo.demo_data.locate_demo_data`).

    Args:
        demo_data (bool): the tool reads the demo data (train, test, check_dataset): without it,
            a one-line :class:`DatasetConfigError` says how to make it. Tools that only build the
            model (infer, export) pass False.
    """
    cfg = Config.fromfile(path)
    if demo_iters is None:
        return cfg
    root = locate_demo_data()
    if root is None and demo_data:
        raise missing_demo_data_error()
    return demo_run_config(cfg, demo_iters, demo_root=root)
