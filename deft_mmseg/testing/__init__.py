"""Inputs for tests and benchmarks (as ``mmseg.testing``): one place that builds a batch the way
mmseg's data preprocessor hands it to a segmentor. Not imported by the rest of the package."""
from .batches import seg_batch
from .toy_data import ToySegDataset

__all__ = ['seg_batch', 'ToySegDataset']
