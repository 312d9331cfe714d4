"""Networks declared with tinygrad_lite and the tutorial's hand-derived NumPy reference."""
