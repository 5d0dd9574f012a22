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
import sys
from typing import List, Optional, Sequence

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
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help=help_text or 'override settings in the config, key=value')


def _iters(text: str) -> int:
    value = int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f'--demo ITERS must be at least 2 (one iteration per '
                                         f'stage of a two-stage method), got {value}')
    return value


def add_demo_argument(parser: argparse.ArgumentParser, with_iters: bool = True) -> None:
    """``--demo [ITERS]``. For train.py (``with_iters``) ITERS is the run's length; test.py,
    infer.py, export_final_model.py and check_dataset.py only build the model or read the data,
    so they accept the same ``--demo ITERS`` as the train.py command whose checkpoints they use
    (the tiny network does not depend on it). The value reaches the tool as :data:`SMOKE`, a
    number or ``None``."""
    demo_data = ('the demo data (data/demo under this directory or the repository, or '
                 '$DEFT_MMSEG_DEMO_DATA; tools/make_demo_data.py makes it)')
    if with_iters:
        help_text = (f'run the config\'s method on {demo_data} with a tiny network of its family: '
                     'the smoke run (a few iterations), or ITERS with the schedule\'s shape '
                     'kept (docs/configs.md)')
    else:
        help_text = (f'the config\'s tiny demo network and {demo_data}, as train.py --demo '
                     '[ITERS] (for checkpoints of a demo run; ITERS as given to train.py)')
    parser.add_argument(
        '--demo',
        nargs='?',
        const=SMOKE,
        default=None,
        type=_iters,
        metavar='ITERS',
        help=help_text)


def demo_argv(argv: Optional[Sequence[str]] = None) -> List[str]:
    """The arguments of a tool whose positionals may follow ``--demo`` (``test.py CONFIG --demo
    CKPT``): a ``--demo`` that is not followed by ITERS moves to the end, so that argparse does
    not take the next positional for ITERS; ``--demo 300`` stays as it is."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if '--demo' in argv:
        at = argv.index('--demo')
        following = argv[at + 1] if at + 1 < len(argv) else None
        if following is not None and not following.isdigit() and not following.startswith('-'):
            argv = argv[:at] + argv[at + 1:] + ['--demo']
    return argv


def demo_iters(value) -> Optional[int]:
    """The ``demo_iters`` of ``deft_mmseg.apis.tool_config.load_config`` for a parsed
    ``--demo`` value (imports deft_mmseg)."""
    if value == SMOKE:
        from deft_mmseg.demo import SMOKE_ITERS
        return SMOKE_ITERS
    return value
