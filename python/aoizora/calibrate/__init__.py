"""Calibration on the devices present (``aoizora calibrate``, docs/calibration.md).

- :mod:`.timing`: steady-state timing of a compiled JAX function (warm-up, repeats, min/median/max);
- :mod:`.benchmarks`: the micro-benchmarks behind the model's constants (the C1-C9 kinds of
  shared/reference/tpu-hardware.md section 4b), on whatever JAX devices are present;
- :mod:`.fit`: the constants fitted from their timings (least squares for the alpha-beta law,
  efficiency = median achieved / the sourced peak);
- :mod:`.calibration_file`: the calibration JSON, loading it, and applying it to a ``Topology``
  (``--calibration FILE`` on plan, predict, validate and simulate).

Nothing here imports JAX at import time.
"""

from aoizora.calibrate.calibration_file import (  # noqa: F401 - the public interface
    CALIBRATION_SCHEMA,
    Calibration,
    calibrated_topology,
    constant_sources,
    load_calibration,
    path_for_slice,
)
