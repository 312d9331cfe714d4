"""Reproducible speed and memory comparisons of tinygrad_lite against hand-written NumPy.

``python -m benchmarks.planar`` times one training step of the tutorial's network;
``python -m benchmarks.ops`` measures the fixed cost of single ops on tiny tensors.
"""
