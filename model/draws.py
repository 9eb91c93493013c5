"""Bulk random draws for the vectorized rules."""

from __future__ import annotations

import math

import numpy as np

_TWO_PI = np.float32(2 * np.pi)


def standard_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """float32 standard normal draws by the Box-Muller transform of float32 uniforms.

    numpy's ziggurat sampler takes about 8.5 ns per float32 draw here, while two
    uniforms, a log, a square root and a sine and cosine (SIMD loops in numpy) take
    about 3.5 ns per draw: marketplace choice needs one draw per consumer and
    marketplace every tick.  With 24-bit uniforms the tails stop at 5.8 standard
    deviations (probability 7e-9), which no rule of the model can notice."""
    n = math.prod(shape)
    half = (n + 1) // 2
    u = rng.random((2, half), dtype=np.float32)
    radius = np.subtract(np.float32(1), u[0], out=u[0])  # in (0, 1]
    np.log(radius, out=radius)
    radius *= np.float32(-2)
    np.sqrt(radius, out=radius)
    angle = u[1]
    angle *= _TWO_PI
    out = np.empty(2 * half, np.float32)
    np.cos(angle, out=out[:half])
    np.sin(angle, out=out[half:])
    out[:half] *= radius
    out[half:] *= radius
    return out[:n].reshape(shape)
