"""How every benchmark reports: a two-column table on stdout and the same numbers as JSON."""

import json
from pathlib import Path


def emit(result: dict[str, float | int | str], out: Path) -> None:
    print(f"{'metric':<28}{'value':>16}")
    for key, value in result.items():
        print(f"{key:<28}{value:>16.2f}" if isinstance(value, float) else f"{key:<28}{value!s:>16}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
