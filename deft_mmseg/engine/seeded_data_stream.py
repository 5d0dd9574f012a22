"""A training data stream that can start at any position without loading what came before it.

mmengine resumes an iteration-based run by loading and augmenting every batch up to the
checkpoint and throwing it away (``IterBasedTrainLoop.run``, "Advance dataloader ... steps"):
resuming the paper's schedule at iteration 40,000 reads 160,000 full-size images first (mmseg
issue 3671 reports it as a hang). Replaying is needed there only because (1) the sampler is a
generator that can only be advanced and (2) the random augmentations of a sample depend on every
draw made before it, in whichever loading worker it lands. This module removes both:

- the position in the stream is cheap to reach: :func:`stream_indices` re-creates the sampler's
  index sequence (a few ``randperm`` calls, no image is read) from any position on, each index
  carrying its position (:class:`StreamIndex`);
- every sample's randomness is a function of the run's seed and its position in the stream only:
  :class:`SeededSamplePreparation` runs the dataset's ``prepare_data`` (load + pipeline) with
  Python ``random``, numpy's global generator and torch's CPU generator seeded from
  ``(seed, position)`` and puts the process's own states back afterwards. Which worker prepares
  a sample, how many workers there are and what they prepared before no longer matter, and the
  main process's generators (dropout, drop path) are left as they were.

Supported: mmengine's ``InfiniteSampler`` (every iteration-based config of this project and of
mmseg) and datasets with mmengine's ``BaseDataset.prepare_data`` (mmseg's datasets, this
plugin's). Anything else keeps mmengine's replay (:func:`seeded_stream_support` says why).
"""
import contextlib
import itertools
import random
from typing import Any, Callable, Iterator, Optional, Tuple

import numpy as np
import torch
from mmengine.dataset import InfiniteSampler
from mmengine.runner.loops import _InfiniteDataloaderIterator
from torch.utils.data import DataLoader
from torch.utils.data.dataloader import _MultiProcessingDataLoaderIter


class StreamIndex(int):
    """A dataset index (it is used as one) that also carries ``position``: where the draw stands
    in the run's data stream, counted over all ranks (``position_on_rank * world_size + rank``),
    so that every draw of a run has its own position even when it draws the same image again.
    Survives the trip to a loading worker (pickled with its position)."""

    position: int

    def __new__(cls, index: int, position: int) -> 'StreamIndex':
        obj = super().__new__(cls, index)
        obj.position = position
        return obj

    def __reduce__(self) -> Tuple[type, Tuple[int, int]]:
        return StreamIndex, (int(self), self.position)

    def __repr__(self) -> str:
        return f'StreamIndex({int(self)}, position={self.position})'


def sample_seed(seed: int, position: int) -> int:
    """The 64-bit seed of the draw at ``position`` of a run seeded with ``seed`` (numpy's
    ``SeedSequence`` hash: neighbouring positions get unrelated seeds)."""
    low, high = np.random.SeedSequence([seed % 2**63, position]).generate_state(2, np.uint32)
    return int(low) | (int(high) << 32)


@contextlib.contextmanager
def seeded_generators(seed: int) -> Iterator[None]:
    """Run the body with Python ``random``, numpy's global generator and torch's CPU generator
    seeded from ``seed``; the states from before are put back afterwards."""
    saved = random.getstate(), np.random.get_state(), torch.get_rng_state()
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])
        torch.set_rng_state(saved[2])


class SeededSamplePreparation:
    """Stands in for a dataset's ``prepare_data``: a :class:`StreamIndex` is prepared under
    :func:`seeded_generators` of :func:`sample_seed` ``(seed, index.position)``; a plain index
    (validation, tools, mmengine's refetch of another sample) is prepared as before.

    Args:
        prepare (callable): the dataset's ``prepare_data`` (bound method or the callable that
            already replaced it).
        seed (int): the run's seed (the sampler's, which is the runner's).
    """

    def __init__(self, prepare: Callable, seed: int) -> None:
        self.prepare = prepare
        self.seed = seed

    def __call__(self, idx: int) -> Any:
        if not isinstance(idx, StreamIndex):
            return self.prepare(idx)
        with seeded_generators(sample_seed(self.seed, idx.position)):
            return self.prepare(idx)


def stream_indices(sampler: InfiniteSampler, start: int) -> Iterator[StreamIndex]:
    """The indices ``sampler`` yields on its rank from its ``start``-th on, as
    :class:`StreamIndex`. Re-creates mmengine's ``InfiniteSampler`` sequence (``_indices_of_rank``:
    the ``randperm`` passes of a generator seeded with ``sampler.seed``, rank ``r`` of ``w`` taking
    every ``w``-th from ``r``); reaching ``start`` costs index arithmetic only."""
    indices = itertools.islice(sampler._indices_of_rank(), start, None)
    for position, index in enumerate(indices, start):
        yield StreamIndex(index, position * sampler.world_size + sampler.rank)


def seeded_stream_support(dataloader: DataLoader) -> Optional[str]:
    """Why ``dataloader`` cannot give a seeded stream, or ``None`` when it can."""
    sampler = getattr(dataloader.batch_sampler, 'sampler', None)
    if not isinstance(sampler, InfiniteSampler):
        return (f'the training sampler is {type(sampler).__name__}, not mmengine\'s '
                f'InfiniteSampler')
    if dataloader.batch_size is None:
        return 'the training dataloader has a custom batch_sampler'
    if not callable(getattr(dataloader.dataset, 'prepare_data', None)):
        return (f'the training dataset {type(dataloader.dataset).__name__} has no prepare_data '
                f'(not an mmengine BaseDataset)')
    return None


def start_seeded_stream(
        dataloader: DataLoader,
        start_batches: int,
        running: Optional[_InfiniteDataloaderIterator] = None) -> _InfiniteDataloaderIterator:
    """Make ``dataloader`` a seeded stream that starts after ``start_batches`` batches, and return
    a fresh mmengine iterator over it (to replace the train loop's ``dataloader_iterator``).

    The loop built its iterator before any hook ran, so loading workers may already be running
    with the dataset as it was (persistent ones are kept by the dataloader): they are shut down
    here, and the new iterator forks workers that hold the seeded ``prepare_data``. Call
    :func:`seeded_stream_support` first.

    Args:
        dataloader (DataLoader): the train loop's dataloader.
        start_batches (int): batches of the stream already trained on (0 for a new run).
        running (_InfiniteDataloaderIterator, optional): the loop's iterator until now; its
            workers are shut down.
    """
    sampler = dataloader.batch_sampler.sampler
    dataset = dataloader.dataset
    prepare = dataset.prepare_data
    if isinstance(prepare, SeededSamplePreparation):
        prepare = prepare.prepare
    # an instance attribute, as datasets/dg_base.py's guard_sample_errors does for prepare_data
    dataset.prepare_data = SeededSamplePreparation(prepare, sampler.seed)
    # InfiniteSampler.__iter__ yields from ``self.indices`` (mmengine/dataset/sampler.py); the
    # sampler has no way to start elsewhere, so its sequence is re-created from the start position
    sampler.indices = stream_indices(sampler, start_batches * dataloader.batch_size)
    # persistent workers are kept in the dataloader's ``_iterator``, others in the loop's iterator
    for loading in (dataloader._iterator, running._iterator if running is not None else None):
        if isinstance(loading, _MultiProcessingDataLoaderIter):
            loading._shutdown_workers()  # what torch's own __del__ calls
    dataloader._iterator = None
    return _InfiniteDataloaderIterator(dataloader)
