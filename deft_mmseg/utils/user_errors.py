"""The exceptions that mean "the user's input is wrong", and how the tools report them."""
import re
import sys

from ..datasets.checks import DatasetConfigError
from ..datasets.converters import ConversionError
from ..datasets.dg_base import DatasetSampleError
from ..engine.checkpoint_loading import CheckpointSecurityError
from ..engine.deft_train_loop import DeFTConfigError
from ..engine.work_dir import WorkDirError
from ..evaluation.dg_iou_metric import LabelRangeError
from ..hooks.checkpoint_match_hook import CheckpointMismatchError
from ..models.fishertune.candidates import FisherTuneConfigError
from .config_keys import ConfigKeyError
from .curves import CurveError

USER_ERRORS = (DatasetConfigError, DatasetSampleError, LabelRangeError, CheckpointSecurityError,
               CheckpointMismatchError, ConversionError, DeFTConfigError, CurveError,
               FisherTuneConfigError, ConfigKeyError, WorkDirError, FileNotFoundError)


def _message(exc):
    text = str(exc)
    # errors raised in DataLoader workers come back with the worker's traceback inside the text
    if 'Original Traceback' in text:
        lines = [ln for ln in text.strip().splitlines() if ln.strip()]
        text = lines[-1]
    text = re.sub(r'\x1b\[[0-9;]*m', '', text)  # no terminal colour codes in a message
    return f'{type(exc).__name__}: {text}'


def run_with_user_errors(fn, *args, **kwargs):
    """Run ``fn``; on a user-input error print one clear message and exit with status 2."""
    try:
        return fn(*args, **kwargs)
    except USER_ERRORS as exc:
        print(f'error: {_message(exc)}', file=sys.stderr)
        sys.exit(2)
