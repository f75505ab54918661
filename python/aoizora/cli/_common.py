"""Helpers shared by CLI commands: JSON output and rich tables."""

from __future__ import annotations

import json
import sys
from typing import Any

PREDICTION_LABEL = "model prediction, not a measurement"


def print_json(obj: Any) -> None:
    json.dump(obj, sys.stdout, indent=2, sort_keys=False)
    sys.stdout.write("\n")


def console():
    from rich.console import Console

    return Console()
