"""The JAX/XLA adapter: environment set-up, TPU topologies for ahead-of-time compiles, and the CPU
fallback. Nothing here imports JAX at module import time."""
