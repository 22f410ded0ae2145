#!/usr/bin/env python3
"""Regenerate okchain/_pb from proto/ (protobuf messages, .pyi stubs and gRPC stubs).

protoc names generated imports after the proto path (``okchain.bank.v1``); we place the code under
``okchain._pb`` and rewrite those imports, so proto package names stay ``okchain.<area>.v1`` on the wire
(gRPC reflection shows them) while Python imports stay inside our package. Third-party protos checked in
under proto/ (``grpc/reflection/v1``, which grpcio-reflection does not ship) go to ``okchain/_pb/grpc`` the
same way, keeping their proto file names.
"""

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
OUT_DIR = ROOT / "okchain" / "_pb"
_IMPORT = re.compile(r"^from (okchain|grpc\.reflection)\.(\S+) import", re.MULTILINE)
# top-level proto folders → where their code goes under ``out_dir``
_TREES = {"okchain": ".", "grpc": "grpc"}


def _local_import(match: re.Match[str]) -> str:
    """``from okchain.bank.v1 import`` → ``from okchain._pb.bank.v1 import``; ``grpc.reflection`` likewise
    under ``okchain._pb.grpc`` (``import grpc`` itself, the library, is left alone)."""
    top, rest = match.group(1), match.group(2)
    prefix = "okchain._pb" if top == "okchain" else "okchain._pb.grpc.reflection"
    return f"from {prefix}.{rest} import"


def generate(out_dir: Path) -> None:
    """Write the generated package to ``out_dir`` (replacing it)."""
    protos = sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))
    include = Path(protoc.__file__).parent / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        args = [
            "protoc",
            f"-I{PROTO_DIR}",
            f"-I{include}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            f"--grpc_python_out={tmp}",
            *protos,
        ]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        if out_dir.exists():
            shutil.rmtree(out_dir)
        for tree, place in _TREES.items():
            src = Path(tmp) / tree
            for path in sorted(src.rglob("*")):
                if path.is_dir():
                    continue
                target = out_dir / place / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(_IMPORT.sub(_local_import, path.read_text()))
        for folder in [out_dir, *sorted(p for p in out_dir.rglob("*") if p.is_dir())]:
            (folder / "__init__.py").write_text("")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    generate(args.out)
    print(f"generated {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
