"""Bit-exact ``--resume``: random-number-generator states and the data-stream position in every
checkpoint, restored at the point of the run where they were taken."""
import logging
import random
from typing import Any, Callable, Iterator, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import CheckpointHook, Hook
from mmengine.hooks.hook import DATA_BATCH
from mmengine.logging import print_log
from mmengine.runner import IterBasedTrainLoop, Runner
from mmseg.registry import HOOKS

from ..seeded_data_stream import seeded_stream_support, start_seeded_stream

#: the checkpoint key this hook writes
CHECKPOINT_KEY = 'rng_state'


def capture_rng_state() -> dict:
    """The generator states of this process: Python ``random``, numpy's global generator, torch's
    CPU generator and, when CUDA is in use, the current CUDA device's generator.

    Returns:
        dict: tensors and plain Python values only (loads with ``weights_only=True``).
    """
    np_state = np.random.get_state()
    state = dict(
        python=random.getstate(),
        numpy=dict(
            key=torch.from_numpy(np_state[1].astype(np.int64)),
            pos=np_state[2],
            has_gauss=np_state[3],
            cached_gaussian=np_state[4]),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state()
    return state


def restore_rng_state(state: dict) -> None:
    """Inverse of :func:`capture_rng_state`. Returns the generators not restored (``['cuda']``
    when the state has a CUDA generator and this process uses none)."""
    random.setstate(state['python'])
    np_state = state['numpy']
    np.random.set_state(('MT19937', np_state['key'].numpy().astype(np.uint32), np_state['pos'],
                         np_state['has_gauss'], np_state['cached_gaussian']))
    torch.set_rng_state(state['torch'])
    if 'cuda' not in state:
        return []
    if not torch.cuda.is_available():
        return ['cuda']
    torch.cuda.set_rng_state(state['cuda'])
    return []


class _CountingIterator:
    """Wraps a train loop's ``dataloader_iterator``: counts the batches taken from the data stream
    and, on resume, brings the stream to where the checkpoint was taken and restores the
    generator states just before the first batch of the resumed run is loaded.

    mmengine's ``IterBasedTrainLoop.run`` takes ``loop.iter`` batches after a resume and drops
    them. With a seeded stream (:mod:`deft_mmseg.engine.seeded_data_stream`) the stream already
    starts at the checkpoint's position, and those calls are answered without loading anything
    (:meth:`skip_loop_replay`). Otherwise the stream is replayed (:meth:`replay_to`); a loop can
    take more batches than iterations (FisherTune's DR-FIM estimation), so the checkpoint records
    the real count and the difference is replayed here too.
    """

    def __init__(self, iterator: Iterator, consumed: int = 0) -> None:
        self.iterator = iterator
        self.consumed = consumed
        self._placeholders = 0  # calls of the loop's own replay answered without loading
        self._pending = None  # (batches the loop replays itself, batches to reach)
        self._on_first = None  # called just before the first batch of the resumed run

    def skip_loop_replay(self, loop_replays: int, on_restore: Callable[[], None]) -> None:
        self._placeholders = loop_replays
        self._on_first = on_restore

    def replay_to(self, loop_replays: int, target: int, on_restore: Callable[[], None]) -> None:
        self._pending = (loop_replays, target)
        self._on_first = on_restore
        self.consumed = 0

    def __iter__(self) -> '_CountingIterator':
        return self

    def __next__(self) -> Optional[dict]:
        if self._placeholders > 0:
            self._placeholders -= 1
            return None  # IterBasedTrainLoop.run drops what its replay takes
        if self._pending is not None and self.consumed >= self._pending[0]:
            _, target = self._pending
            self._pending = None
            while self.consumed < target:
                next(self.iterator)
                self.consumed += 1
        if self._pending is None and self._on_first is not None:
            on_first, self._on_first = self._on_first, None
            on_first()
        batch = next(self.iterator)
        self.consumed += 1
        return batch

    def __getattr__(self, name: str) -> Any:  # e.g. ``_dataloader`` of mmengine's infinite iterator
        return getattr(self.iterator, name)


@HOOKS.register_module()
class ExactResumeHook(Hook):
    """Make ``--resume`` continue a run exactly as if it had never stopped.

    mmengine restores weights, optimizer, schedulers and the iteration, and replays the sampler,
    but not the random-number generators: after a resume, dropout, drop path and the random
    augmentations of ``num_workers=0`` loading restart from the seed, so the resumed run drifts
    from the uninterrupted one. This hook

    - stores in every checkpoint (key ``rng_state``) the generator states of every rank (Python
      ``random``, numpy, torch CPU, CUDA) as they are when the next training batch is about to be
      loaded, plus the number of batches taken from the data stream;
    - makes the training data a seeded stream (:mod:`deft_mmseg.engine.seeded_data_stream`):
      every sample is prepared with generators seeded from the run's seed and its position in
      the stream, so on resume the stream starts at that count without loading a single batch
      before it (mmengine loads and drops every batch already trained on), whatever the number
      of loading workers; samplers other than ``InfiniteSampler`` and datasets without
      ``prepare_data`` (or ``seeded_data=False``) get the stream replayed instead, with a log line;
    - restores the generators just before the first batch of the resumed run is loaded;
    - runs validation inside a fork of the generators (state saved before, restored after), so the
      training stream does not depend on when or how often validation runs.

    Resuming under another world size, or with a CUDA state on a machine without CUDA, restores
    what it can and logs that the resume is not exact (the generators then continue from the seed
    set at start). Works with ``IterBasedTrainLoop`` and its subclasses (``TwoStageTrainLoop``,
    ``FisherTuneTrainLoop``); under other loops the states are restored at the start of the resumed
    epoch. In ``configs/_base_/default_runtime.py`` as ``default_hooks.exact_resume``; add
    ``custom_hooks=[dict(type='ExactResumeHook')]`` to use it in other mmseg configs.

    Args:
        seeded_data (bool): make the training data a seeded stream (default). ``False`` keeps
            mmengine's sample randomness (per-worker generators) and replays the data on resume.
    """

    priority = 'NORMAL'  # after_train_iter must run before CheckpointHook's (VERY_LOW)

    def __init__(self, seeded_data: bool = True) -> None:
        self.seeded_data = seeded_data
        self._seeded_stream = False  # whether this run's training data is a seeded stream
        self._states = None  # states of all ranks for the checkpoint about to be written
        self._val_states = None  # states of all ranks before validation, restored after it
        self._resume_from = None  # the ``rng_state`` entry of a loaded checkpoint
        self._run_seed = None
        self._seed_mismatch = None
        self._started = False

    # -- taking the states -----------------------------------------------------------------
    def _gather(self) -> list:
        local = capture_rng_state()
        _, world_size = get_dist_info()
        return all_gather_object(local) if world_size > 1 else [local]

    @staticmethod
    def _checkpoint_due(runner: Runner) -> bool:
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook) and not hook.by_epoch:
                if hook.every_n_train_iters(
                        runner, hook.interval,
                        hook.save_begin) or (hook.save_last and hook.is_last_train_iter(runner)):
                    return True
        return False

    def after_train_iter(self,
                         runner: Runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        # all ranks take part in the gather; only rank 0 writes the checkpoint
        self._states = self._gather() if self._checkpoint_due(runner) else None

    def before_val(self, runner: Runner) -> None:
        self._val_states = self._gather()

    def after_val(self, runner: Runner) -> None:
        if self._val_states is not None:
            restore_rng_state(self._val_states[get_dist_info()[0]])
            self._val_states = None

    def before_save_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        # a checkpoint written during validation (save_best) gets the states from before it
        states = self._val_states or self._states or [capture_rng_state()]
        checkpoint[CHECKPOINT_KEY] = dict(
            version=2,
            world_size=len(states),
            data_batches=loop_consumed(runner),
            ranks=states,
            seeded_stream=self._seeded_stream)

    # -- putting them back -------------------------------------------------------------------
    def before_run(self, runner: Runner) -> None:
        self._run_seed = runner.seed  # the seed the dataloaders were built with

    def after_load_checkpoint(self, runner: Runner, checkpoint: dict) -> None:
        self._resume_from = checkpoint.get(CHECKPOINT_KEY)
        resumed_seed = checkpoint.get('meta', {}).get('seed')
        if resumed_seed is not None and self._run_seed is not None and resumed_seed != self._run_seed:
            self._seed_mismatch = (resumed_seed, self._run_seed)
        else:
            self._seed_mismatch = None

    def before_train_epoch(self, runner: Runner) -> None:
        if self._started:  # epoch-based loops call this every epoch; only the first matters
            return
        self._started = True
        loop = runner.train_loop
        iter_based = isinstance(loop, IterBasedTrainLoop)
        resumed = runner.iter > 0 if iter_based else runner.epoch > 0
        saved, self._resume_from = (self._resume_from if resumed else None), None
        if resumed and saved is None:
            print_log(
                'ExactResumeHook: the checkpoint holds no generator states (written without '
                'this hook): the resume is not exact (random streams restart from the '
                'seed).',
                logger='current',
                level=logging.WARNING)
        if resumed and saved is not None and self._seed_mismatch:
            print_log(
                f'ExactResumeHook: the checkpoint was trained with seed '
                f'{self._seed_mismatch[0]} but the dataloaders of this run were built with '
                f'seed {self._seed_mismatch[1]}: the resume is not exact. Set '
                f'randomness.seed={self._seed_mismatch[0]} (deft_mmseg\'s tools/train.py '
                f'does this itself).',
                logger='current',
                level=logging.WARNING)
        restore = (lambda: self._restore(runner, saved)) if saved is not None else (  # noqa: E731
            lambda: None)
        if not iter_based:
            restore()
            return
        target = runner.iter if saved is None or saved.get('data_batches') is None \
            else saved['data_batches']
        start = target if resumed else 0
        running = loop.dataloader_iterator
        if isinstance(running, _CountingIterator):
            running = running.iterator
        seeded = self.seeded_data
        if saved is not None and saved.get('seeded_stream', False) != seeded:
            # a resume continues the stream the checkpoint's run had (version 1 checkpoints:
            # written before the seeded stream existed), else it would not be exact
            seeded = saved.get('seeded_stream', False)
            print_log(
                f'ExactResumeHook: the checkpoint\'s run was trained '
                f'{"with" if seeded else "without"} the seeded data stream; the resumed '
                f'run continues that way so that the resume is exact.',
                logger='current')
        why_not = seeded_stream_support(loop.dataloader) if seeded else (
            'ExactResumeHook(seeded_data=False)' if not self.seeded_data else
            'the checkpoint was trained without the seeded data stream')
        self._seeded_stream = why_not is None
        if why_not is None:
            counting = _CountingIterator(
                start_seeded_stream(loop.dataloader, start, running), consumed=start)
            if resumed:
                counting.skip_loop_replay(runner.iter, restore)
                print_log(
                    f'ExactResumeHook: the data stream starts at batch {start} without '
                    f'loading the batches before it (seeded data stream: mmengine\'s '
                    f'"Advance dataloader" steps load nothing).',
                    logger='current')
        else:
            counting = _CountingIterator(running, consumed=start)
            if resumed:
                counting.replay_to(runner.iter, target, restore)
                print_log(
                    f'ExactResumeHook: {why_not}: the data stream is replayed to batch '
                    f'{target} (every batch before it is loaded again).',
                    logger='current',
                    level=logging.WARNING)
        loop.dataloader_iterator = counting

    def _restore(self, runner: Runner, saved: dict) -> None:
        rank, world_size = get_dist_info()
        if saved['world_size'] != world_size:
            print_log(
                f'ExactResumeHook: the checkpoint was written by {saved["world_size"]} '
                f'process(es), this run has {world_size}: generator states are not '
                f'restored and the resume is not exact (documented in '
                f'docs/checkpoints.md).',
                logger='current',
                level=logging.WARNING)
            return
        missing = restore_rng_state(saved['ranks'][rank])
        if missing:
            print_log(
                f'ExactResumeHook: the checkpoint holds a {"/".join(missing)} generator '
                f'state this machine cannot restore: the resume is not exact on the '
                f'device side.',
                logger='current',
                level=logging.WARNING)
            return
        print_log(
            f'ExactResumeHook: data stream at batch {loop_consumed(runner)}, generator '
            f'states restored: the run continues exactly.',
            logger='current')


def loop_consumed(runner: Runner) -> int:
    """Batches taken from the training data stream so far (``None`` without the hook)."""
    return getattr(getattr(runner.train_loop, 'dataloader_iterator', None), 'consumed', None)
