"""Command-line arguments the tools share, declared without importing the OpenMMLab stack.

Each tool parses its arguments before it imports torch, mmengine, mmseg or deft_mmseg (whose
import registers the plugin and takes seconds), so ``--help`` and a mistyped option answer at
once. What needs the stack is imported when a value is used: ``--cfg-options`` is parsed by
mmengine's own ``DictAction`` when the option is given, ``--demo`` without a number becomes
``deft_mmseg.demo.SMOKE_ITERS`` in :func:`demo_iters`.

A tool runs as a script (``python tools/train.py``, or ``python <site-packages>/deft_mmseg/.mim/
tools/train.py`` from the wheel), so this file, next to it, is importable as ``tool_arguments``.
"""
import argparse
from typing import Optional

#: ``--demo`` given without a number: the smoke run (resolved by :func:`demo_iters`). Not a
#: string (argparse would pass a string const through ``type``); no ITERS a user gives is < 2
SMOKE = 0


class CfgOptionsAction(argparse.Action):
    """mmengine's ``DictAction`` (``key=value`` pairs into a dict), imported when the option is
    used rather than when the parser is built."""

    def __call__(self, parser, namespace, values, option_string=None):
        from mmengine.config import DictAction
        DictAction(self.option_strings, self.dest)(parser, namespace, values, option_string)


def add_cfg_options(parser: argparse.ArgumentParser, help_text: Optional[str] = None) -> None:
    """``--cfg-options k=v ...`` as mmseg's tools take it."""
    parser.add_argument('--cfg-options', nargs='+', action=CfgOptionsAction,
                        help=help_text or 'override settings in the config, key=value')


def _iters(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f'--demo ITERS must be at least 2 (one iteration per '
                                         f'stage of a two-stage method), got {value}')
    return value


def add_demo_argument(parser: argparse.ArgumentParser, with_iters: bool = True) -> None:
    """``--demo [ITERS]`` (train.py) or ``--demo`` (test.py, infer.py, export_final_model.py,
    check_dataset.py: they only build the model or read the data, so the length of the run does
    not matter). The value reaches the tool as :data:`SMOKE`, a number or ``None``."""
    if with_iters:
        parser.add_argument(
            '--demo', nargs='?', const=SMOKE, type=_iters, metavar='ITERS',
            help='run the config\'s method on the demo data (data/demo, '
            'tools/make_demo_data.py) with a tiny network of its family: the smoke run (a few '
            'iterations), or ITERS with the schedule\'s shape kept (docs/configs.md)')
    else:
        parser.add_argument(
            '--demo', action='store_const', const=SMOKE, default=None,
            help='the config\'s tiny demo network and the demo data, as train.py --demo (for '
            'checkpoints of a demo run)')


def demo_iters(value) -> Optional[int]:
    """The ``demo_iters`` of ``deft_mmseg.apis.tool_config.load_config`` for a parsed
    ``--demo`` value (imports deft_mmseg)."""
    if value == SMOKE:
        from deft_mmseg.demo import SMOKE_ITERS
        return SMOKE_ITERS
    return value
