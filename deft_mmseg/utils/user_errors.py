"""The exceptions that mean "the user's input is wrong", and how the tools report them."""
import re
import sys

from .errors import USER_ERRORS


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
