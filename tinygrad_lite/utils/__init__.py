"""PyTorch's `torch.utils` as `tinygrad_lite.utils`: its `data` subpackage (datasets, loaders)."""

from . import data

__all__ = ["data"]
