"""How the tools read the config a user names: old config names, ``--demo [ITERS]``."""
import argparse
import sys

from ..demo.demo_config import SMOKE_ITERS, demo_run_config
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


def _demo_iters(text):
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f'--demo ITERS must be at least 2 (one iteration per '
                                         f'stage of a two-stage method), got {value}')
    return value


def add_demo_argument(parser, with_iters=True):
    """``--demo [ITERS]`` (train.py) or ``--demo`` (test.py, infer.py, export_final_model.py,
    check_dataset.py: they only build the model or read the data, so the length of the run does
    not matter)."""
    if with_iters:
        parser.add_argument(
            '--demo', nargs='?', const=SMOKE_ITERS, type=_demo_iters, metavar='ITERS',
            help=f'run the config\'s method on the demo data (data/demo, tools/make_demo_data.py) '
            f'with a tiny network of its family: {SMOKE_ITERS} iterations, or ITERS with the '
            f'schedule\'s shape kept (docs/configs.md)')
    else:
        parser.add_argument(
            '--demo', action='store_const', const=SMOKE_ITERS, default=None,
            help='the config\'s tiny demo network and the demo data, as train.py --demo (for '
            'checkpoints of a demo run)')
