"""The committed generated code must equal what scripts/gen_proto.py produces from proto/ now."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen_proto", REPO / "scripts" / "gen_proto.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    out = tmp_path / "_pb"
    gen.generate(out)
    committed = REPO / "okchain" / "_pb"
    fresh_files = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    committed_files = sorted(
        p.relative_to(committed) for p in committed.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    assert fresh_files == committed_files, "run scripts/gen_proto.py: generated file set differs"
    stale = [str(p) for p in fresh_files if (out / p).read_bytes() != (committed / p).read_bytes()]
    assert not stale, f"run scripts/gen_proto.py: stale generated files {stale}"
