"""Test session set-up: 8 XLA CPU devices (the CPU fallback compiler and numerical checks use
them) and compile-only TPU devices from libtpu. Must run before anything imports JAX."""

from aoizora.compiler import env

env.configure(cpu_devices=8)
