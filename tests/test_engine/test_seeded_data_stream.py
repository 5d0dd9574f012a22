"""The seeded data stream: the sampler's sequence re-created from any position, every sample's
random draws a function of (seed, position) only, so a resumed stream equals the uninterrupted
one without loading what came before, with or without (persistent) loading workers."""
import itertools
import pickle
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import BaseDataset, InfiniteSampler
from torch.utils.data import DataLoader

from deft_mmseg.engine.seeded_data_stream import (SeededSamplePreparation, StreamIndex, sample_seed,
                                                  seeded_stream_support, start_seeded_stream,
                                                  stream_indices)


def _draw(results):
    """A pipeline step with the three generators augmentations use."""
    results['draw'] = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    return results


class _Counted(BaseDataset):
    """Seven samples; ``loaded`` counts the samples this process prepared."""
    loaded = 0

    def load_data_list(self):
        return [dict(value=i) for i in range(7)]

    def prepare_data(self, idx):
        type(self).loaded += 1
        return super().prepare_data(idx)


def _as_list(samples):
    return samples


def _loader(num_workers, seed=3):
    dataset = _Counted(pipeline=[_draw], serialize_data=False)
    return DataLoader(
        dataset,
        batch_size=2,
        sampler=InfiniteSampler(dataset, seed=seed),
        num_workers=num_workers,
        persistent_workers=num_workers > 0,
        collate_fn=_as_list)


def _batches(iterator, n):
    return [[(s['value'], s['draw']) for s in next(iterator)] for _ in range(n)]


@pytest.mark.parametrize('start', [0, 5, 23])
@pytest.mark.parametrize('rank,world_size', [(0, 1), (1, 3)])
def test_stream_indices_continue_mmengine_infinite_sampler(start, rank, world_size):
    """Reference: mmengine's own InfiniteSampler, iterated from the start and sliced."""
    sampler = InfiniteSampler(list(range(7)), seed=5)
    sampler.rank, sampler.world_size = rank, world_size
    sampler.indices = sampler._indices_of_rank()
    reference = list(itertools.islice(iter(sampler), start + 30))[start:]
    got = list(itertools.islice(stream_indices(sampler, start), 30))
    assert got == reference
    assert [i.position for i in got] == [p * world_size + rank for p in range(start, start + 30)]


def test_stream_index_keeps_its_position_through_pickle():
    index = pickle.loads(pickle.dumps(StreamIndex(4, 17)))
    assert (type(index), int(index), index.position) == (StreamIndex, 4, 17)


def test_sample_randomness_depends_on_seed_and_position_only():
    prepare = SeededSamplePreparation(lambda idx: _draw({})['draw'], seed=3)
    first = prepare(StreamIndex(2, 9))
    random.random(), np.random.rand(), torch.rand(1)  # whatever happened before
    outer = random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state()
    assert prepare(StreamIndex(5, 9)) == first  # same position: same draws
    assert prepare(StreamIndex(2, 10)) != first
    assert SeededSamplePreparation(prepare.prepare, seed=4)(StreamIndex(2, 9)) != first
    # the process's own generators are left as they were
    assert random.getstate() == outer[0] and (np.random.get_state()[1] == outer[1]).all()
    assert torch.equal(torch.get_rng_state(), outer[2])
    # the seed is a hash of (seed, position), the same in every process
    assert sample_seed(3, 9) == sample_seed(3, 9) != sample_seed(3, 10)


def test_resumed_stream_equals_the_uninterrupted_one_without_loading_the_skipped_batches():
    loader = _loader(num_workers=0)
    assert seeded_stream_support(loader) is None
    reference = _batches(start_seeded_stream(loader, 0), 12)
    _Counted.loaded = 0
    resumed = _batches(start_seeded_stream(_loader(num_workers=0), 9), 3)
    assert resumed == reference[9:]
    assert _Counted.loaded == 3 * 2  # only the batches taken, none of the 9 skipped


def test_stream_is_the_same_with_persistent_workers_and_after_a_restart():
    """Two persistent workers, which prepared other samples before the stream was (re)started:
    the batches equal the single-process stream."""
    reference = _batches(start_seeded_stream(_loader(num_workers=0), 0), 10)
    loader = _loader(num_workers=2)
    plain = iter(loader)  # the loop's iterator, built before any hook runs: workers running
    next(plain)
    stream = start_seeded_stream(loader, 0)
    assert _batches(stream, 6) == reference[:6]
    resumed = start_seeded_stream(loader, 7, running=stream)  # same loader, workers restarted
    assert _batches(resumed, 3) == reference[7:10]


def test_other_samplers_are_named_as_the_reason_to_replay():
    dataset = _Counted(pipeline=[_draw], serialize_data=False)
    loader = DataLoader(dataset, batch_size=2, shuffle=True)
    assert 'RandomSampler, not mmengine\'s InfiniteSampler' in seeded_stream_support(loader)
