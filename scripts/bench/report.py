"""How every benchmark reports: a two-column table on stdout and the same numbers as JSON, with this host's
single-core secp256k1 recovery rate measured in the same run, so results from noisy or different hosts
compare (a node's per-tx cost is dominated by that recovery and by Python work that scales with it)."""

import hashlib
import json
import os
import time
from pathlib import Path

from okchain.crypto.secp import AccountKey, recover_address

Result = dict[str, float | int | str]


def status_mib(field: str, pid: int | str = "self") -> float:
    """A memory line of /proc/<pid>/status in MiB: ``VmRSS`` the resident size now, ``VmHWM`` its
    high-water mark (unlike ru_maxrss, not inherited from the parent across fork and exec)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def recover_rate(seconds: float = 0.5) -> float:
    """Signer recoveries per second on one core, now."""
    digest = hashlib.sha256(b"okchain bench yardstick").digest()
    signature = AccountKey(b"\x07" * 32).sign_digest(digest)
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(100):
            recover_address(digest, signature)
        done += 100
    return done / elapsed


def calibrated(result: Result, headline: str | None = None) -> Result:
    """``result`` plus the recovery rate and, for ``headline``, the result in recoveries' worth."""
    rate = recover_rate()
    out: Result = {**result, "secp256k1_recover_per_s": rate, "host_load_1m_after": os.getloadavg()[0]}
    if headline is not None:
        value = result[headline]
        assert isinstance(value, int | float), headline
        out[f"{headline}_per_recover_per_s"] = value / rate
    return out


def emit(result: Result, out: Path, headline: str | None = None) -> None:
    result = calibrated(result, headline)
    print(f"{'metric':<36}{'value':>16}")
    for key, value in result.items():
        print(f"{key:<36}{value:>16.2f}" if isinstance(value, float) else f"{key:<36}{value!s:>16}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
