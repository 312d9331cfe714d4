"""Other autodiff libraries' training steps, timed against the NumPy floor in a throwaway venv.

``python -m benchmarks.peers --setup /tmp/peers-venv`` creates the environment, installs the
libraries there (never into the project's) and writes the peers table; see ``__main__``.
"""
