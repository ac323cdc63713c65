"""Print pip constraints pinning every direct dependency to the lowest version pyproject.toml allows.

CI installs the project with these into a second environment and runs the fast tests, so a lower bound
that no longer works fails the build instead of a user's install. torch stays at the CPU build on disk.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

SKIP = {"torch"}  # installed first, pinned, from the file on disk


def main() -> None:
    """Print one `name==version` line per direct runtime dependency."""
    project = tomllib.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml").read_text())["project"]
    # The runtime's lower bounds (and the PostgreSQL driver's); test tools install at their newest.
    requirements = [*project["dependencies"], *project.get("optional-dependencies", {}).get("postgres", [])]
    pins: dict[str, str] = {}
    for requirement in requirements:
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", requirement)
        if not match:
            continue
        name, spec = match.group(1).lower(), match.group(3)
        exact = re.search(r"==\s*([^,\s;]+)", spec)
        lower = re.search(r">=\s*([^,\s;]+)", spec)
        if name in SKIP or not (exact or lower):
            continue
        pins[name] = (exact or lower).group(1)  # type: ignore[union-attr]
    for name, version in sorted(pins.items()):
        print(f"{name}=={version}")


if __name__ == "__main__":
    main()
