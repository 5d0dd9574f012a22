"""Ctrl-C (SIGINT) and a cluster's SIGTERM stop a training run cleanly: the step in progress
finishes, a checkpoint is written, and the tool prints the command that continues the run.

mmengine has no signal handling: Ctrl-C is an 80-line ``KeyboardInterrupt`` traceback and SIGTERM
(what SLURM and Kubernetes send before they kill a job) ends the run without a checkpoint.
"""
import os
import signal
from typing import Optional

from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log
from mmseg.registry import HOOKS

from ...utils.errors import TrainingStopped

#: the signals that stop a run after a checkpoint
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_installed = []  # hooks whose handlers are in place (the run may end by an exception)


@HOOKS.register_module()
class StopSignalHook(Hook):
    """On SIGINT or SIGTERM during training, finish the current iteration, save a checkpoint
    through the runner's ``CheckpointHook`` (unless it saved one at this iteration) and raise
    :class:`TrainingStopped`; ``tools/train.py`` turns it into the ``--resume`` command and exit
    status 128 + signal. A second signal acts as it would without the hook (stops at once).

    Iteration-based loops only (the checkpoint is ``iter_N.pth``). Under DDP every rank must get
    the signal (SLURM and ``torchrun`` send it to all). In ``configs/_base_/default_runtime.py`` as
    ``default_hooks.stop_signal``.
    """

    priority = 'LOWEST'  # after the CheckpointHook (VERY_LOW) has had its turn at this iteration

    def __init__(self) -> None:
        self._received: Optional[int] = None
        self._previous = {}
        self._owner_pid: Optional[int] = None

    def before_train(self, runner) -> None:
        self._owner_pid = os.getpid()
        for signum in STOP_SIGNALS:
            self._previous[signum] = signal.signal(signum, self._on_signal)
        _installed.append(self)

    def _on_signal(self, signum, frame) -> None:
        if os.getpid() != self._owner_pid:  # a loading worker forked with this handler
            return
        self._received = signum
        self._restore_handlers()  # a second signal stops at once
        print_log(
            f'{signal.Signals(signum).name} received: the run stops after this iteration '
            f'and saves a checkpoint (send it again to stop at once).',
            logger='current')

    def _restore_handlers(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}
        if self in _installed:
            _installed.remove(self)

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if self._received is None:
            return
        iteration = runner.iter + 1  # the loop counts this iteration after its hooks
        saver = next((h for h in runner.hooks if isinstance(h, CheckpointHook)), None)
        checkpoint = None
        if saver is not None:
            checkpoint = saver.file_backend.join_path(saver.out_dir,
                                                      saver.filename_tmpl.format(iteration))
            if saver.last_ckpt != checkpoint:  # not saved by the hook at this iteration
                saver._save_checkpoint(runner)  # mmengine's own save (AtomicCheckpointHook's)
        self._restore_handlers()
        raise TrainingStopped(self._received, iteration, checkpoint)

    def after_train(self, runner) -> None:
        self._restore_handlers()


def restore_signal_handlers() -> None:
    """Put back the handlers every :class:`StopSignalHook` replaced, also when the run ended by an
    exception (``after_train`` is not called then); ``tools/train.py`` calls it on the way out,
    so Ctrl-C acts normally again in a process that goes on (tests running the tool in-process)."""
    for hook in list(_installed):
        hook._restore_handlers()
