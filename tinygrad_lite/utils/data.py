"""PyTorch's `torch.utils.data` as `tinygrad_lite.utils.data`: datasets, samplers, DataLoader.

``from tinygrad_lite.utils.data import DataLoader, TensorDataset, random_split`` works as the
same line with ``torch.utils.data`` does. Each name is defined and documented in its own module:
the datasets and `random_split` in `tinygrad_lite.dataset`, the samplers in
`tinygrad_lite.samplers`, `default_collate` and `default_convert` in `tinygrad_lite.collate`,
`DataLoader` in `tinygrad_lite.data` and `get_worker_info` in `tinygrad_lite.loading`.
"""

from ..collate import default_collate, default_convert
from ..data import DataLoader
from ..dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from ..loading import get_worker_info
from ..samplers import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
