"""Where the files that travel with the package live: migrations, seeds, JSON Schemas.

In a source checkout they are the top-level ``alembic/``, ``seeds/`` and ``schemas/``
folders; a built wheel carries the same folders inside the package as ``tracker/_data/``
(see ``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # tracker/


def resource_dir(name: str) -> Path:
    """``alembic``, ``seeds`` or ``schemas``: the packaged copy first, else the checkout's."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent / name
