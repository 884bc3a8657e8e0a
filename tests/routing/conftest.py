"""Puts the repository root on sys.path so `pytest tests/routing` imports the package from anywhere."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
