"""Warnings that tell a deft_mmseg user nothing they can act on, silenced where they arise.

Only warnings listed here, matched by their message, are silenced; every other warning of the
stack is kept (a user reads all that is left).
"""
import logging
import warnings
from contextlib import contextmanager
from typing import Iterator

#: (start of the message, category, why it says nothing to the user)
SILENCED = (
    ('pkg_resources is deprecated as an API', UserWarning,
     'setuptools 80 warns on `import pkg_resources`; mmengine 0.10.7 imports it to resolve '
     '`mmseg::` / `deft_mmseg::` config references and reloads it on each look-up '
     '(mmengine/utils/package_utils.py, is_installed), so every command printed it twice. '
     'The fix is mmengine\'s; setuptools < 81 keeps pkg_resources (docs/install.md).'),
    ('torch.meshgrid: in an upcoming release, it will be required to pass the indexing',
     UserWarning,
     'torch 2.x asks library code for `indexing=`; mmdet 3.3.0 calls torch.meshgrid without it '
     '(mmdet/models/task_modules/prior_generators/point_generator.py, _meshgrid), once per run '
     'of every Mask2Former model.'),
)


def silence_uninformative_warnings() -> None:
    """Install a filter for each warning of :data:`SILENCED` (idempotent)."""
    for message, category, _ in SILENCED:
        warnings.filterwarnings('ignore', message=message, category=category)


class _DropRecords(logging.Filter):

    def __init__(self, fragments):
        super().__init__()
        self.fragments = fragments

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(fragment in message for fragment in self.fragments)


@contextmanager
def hidden_log_records(*fragments: str) -> Iterator[None]:
    """Within the block, drop the records of mmengine's current logger whose message contains
    one of ``fragments`` (for a known, meaningless message of one call; everything else the
    call logs is kept)."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    drop = _DropRecords(fragments)
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)
