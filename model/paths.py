"""Safe output paths: file names made from scenario names, and output directories checked up front."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from .config_errors import ConfigError


def safe_name(name: str, limit: int = 100) -> str:
    """A file name from a scenario name: letters, digits, '.', '_' and '-' only (no path
    separators), no leading dot, at most ``limit`` characters."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).lstrip(".")[:limit]
    return cleaned or "unnamed"


def prepare_out(out: Path, option: str = "--out") -> Path:
    """Create the output directory and check that it takes new files, before any work is
    done; a problem is one line naming the option and the path."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{option} {out}: exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as err:
        raise ConfigError(f"{option} {out}: cannot write there ({err.strerror or err})") from None
    return out
