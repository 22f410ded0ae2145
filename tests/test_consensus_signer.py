"""Double-sign protection: the pure policy, the safe signer, and its durable file store across a crash."""

import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from okchain.consensus.messages import Proposal, Step, Vote, VoteType
from okchain.consensus.signer import (
    DoubleSignRefused,
    MemorySignerStore,
    SafeSigner,
    SignerError,
    SignerState,
    Verdict,
    check,
)
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.node.signer_file import FileSignerStore, SignerStoreError

REPO = Path(__file__).resolve().parent.parent
CHAIN = "okchain-test-1"
KEY = ValidatorKey(bytes(range(32)))
ADDR = validator_address(KEY.public_key)
A, B = b"\xaa" * 32, b"\xbb" * 32


def vote(h: int, r: int, t: VoteType = VoteType.PREVOTE, block: bytes = A, time_ns: int = 1_000) -> Vote:
    return Vote(t, h, r, block, time_ns, ADDR, b"")


def proposal(h: int, r: int, block: bytes = A, time_ns: int = 1_000) -> Proposal:
    return Proposal(h, r, -1, block, time_ns, ADDR, b"")


def test_check_orders_height_round_step() -> None:
    last = SignerState(5, 2, Step.PREVOTE, vote(5, 2).sign_bytes(CHAIN), b"s" * 64)
    sb = vote(5, 2).sign_bytes(CHAIN)
    assert check(None, 1, 0, Step.PROPOSE, sb).verdict is Verdict.SIGN
    for h, r, step, verdict in [
        (6, 0, Step.PROPOSE, Verdict.SIGN),
        (5, 3, Step.PROPOSE, Verdict.SIGN),
        (5, 2, Step.PRECOMMIT, Verdict.SIGN),
        (5, 2, Step.PROPOSE, Verdict.REFUSE),
        (5, 1, Step.PRECOMMIT, Verdict.REFUSE),
        (4, 9, Step.PRECOMMIT, Verdict.REFUSE),
    ]:
        decision = check(last, h, r, step, sb)
        assert decision.verdict is verdict, (h, r, step)
        assert bool(decision.reason) == (verdict is Verdict.REFUSE)
    assert "behind the last signed 5/2/PREVOTE" in check(last, 5, 1, Step.PRECOMMIT, sb).reason
    # Same height/round/step: identical or timestamp-only difference reuses; anything else is refused.
    assert check(last, 5, 2, Step.PREVOTE, sb).verdict is Verdict.REUSE
    later = vote(5, 2, time_ns=2_000).sign_bytes(CHAIN)
    assert check(last, 5, 2, Step.PREVOTE, later).verdict is Verdict.REUSE
    other = check(last, 5, 2, Step.PREVOTE, vote(5, 2, block=B).sign_bytes(CHAIN))
    assert other.verdict is Verdict.REFUSE and "already signed a different prevote" in other.reason
    nil = check(last, 5, 2, Step.PREVOTE, vote(5, 2, block=b"").sign_bytes(CHAIN))
    assert nil.verdict is Verdict.REFUSE


def test_safe_signer_signs_reuses_and_refuses() -> None:
    signer = SafeSigner(KEY, MemorySignerStore())
    p = signer.sign_proposal(CHAIN, proposal(3, 0))
    assert p.verify(CHAIN, KEY.public_key)
    pv = signer.sign_vote(CHAIN, vote(3, 0))
    assert pv.verify(CHAIN, KEY.public_key)
    # Asked again with a later timestamp: the old vote (old time, old signature) comes back.
    assert signer.sign_vote(CHAIN, vote(3, 0, time_ns=9_999)) == pv
    with pytest.raises(DoubleSignRefused, match="different prevote"):
        signer.sign_vote(CHAIN, vote(3, 0, block=B))
    with pytest.raises(DoubleSignRefused, match="behind"):
        signer.sign_proposal(CHAIN, proposal(3, 0, block=B))
    with pytest.raises(DoubleSignRefused, match="different prevote"):
        signer.sign_vote("another-chain", vote(3, 0))  # the chain id is part of what is signed
    pc = signer.sign_vote(CHAIN, vote(3, 0, VoteType.PRECOMMIT))
    assert pc.verify(CHAIN, KEY.public_key)
    with pytest.raises(DoubleSignRefused):
        signer.sign_vote(CHAIN, vote(3, 0))  # prevote after precommit in the same round
    assert signer.sign_vote(CHAIN, vote(3, 1, block=B)).verify(CHAIN, KEY.public_key)
    with pytest.raises(SignerError, match="names validator"):
        signer.sign_vote(CHAIN, replace(vote(4, 0), validator_address=b"\x01" * 20))


def test_state_saved_before_signature_is_returned() -> None:
    class FailingStore(MemorySignerStore):
        def save(self, state: SignerState) -> None:
            raise OSError("disk full")

    signer = SafeSigner(KEY, FailingStore())
    with pytest.raises(OSError):
        signer.sign_vote(CHAIN, vote(1, 0))
    assert signer.last is None


def test_crash_and_restart_with_file_store(tmp_path: Path) -> None:
    path = tmp_path / "data" / "signer_state.json"
    store = FileSignerStore(path)
    first = SafeSigner(KEY, store)
    signed = first.sign_vote(CHAIN, vote(7, 1, VoteType.PRECOMMIT))
    assert not (tmp_path / "data" / ".signer_state.json.tmp").exists()
    # "Crash": a new signer over the same store forgets nothing.
    again = SafeSigner(KEY, store)
    assert again.last == first.last
    with pytest.raises(DoubleSignRefused, match="different precommit"):
        again.sign_vote(CHAIN, vote(7, 1, VoteType.PRECOMMIT, block=B))
    with pytest.raises(DoubleSignRefused, match="behind"):
        again.sign_vote(CHAIN, vote(7, 1, VoteType.PREVOTE))
    assert again.sign_vote(CHAIN, vote(7, 1, VoteType.PRECOMMIT, time_ns=5)) == signed
    assert again.sign_vote(CHAIN, vote(8, 0)).height == 8
    # The process ends; the next one reads the same file.
    store.close()
    with FileSignerStore(path) as reopened:
        assert SafeSigner(KEY, reopened).last == again.last


def test_one_store_per_state_file(tmp_path: Path) -> None:
    path = tmp_path / "signer_state.json"
    with FileSignerStore(path) as store:
        with pytest.raises(SignerStoreError, match="another node"):
            FileSignerStore(path)
        store.close()
        with pytest.raises(SignerStoreError, match="closed"):
            SafeSigner(KEY, store).sign_vote(CHAIN, vote(1, 0))
        FileSignerStore(path).close()  # free again


def test_corrupt_state_file_stops_signing(tmp_path: Path) -> None:
    path = tmp_path / "signer_state.json"
    with FileSignerStore(path) as store:
        SafeSigner(KEY, store).sign_vote(CHAIN, vote(2, 0))
        text = path.read_text()
        for bad in (text[: len(text) // 2], text.replace('"height": 2', '"height": -2'), "{}", "[]"):
            path.write_text(bad)
            with pytest.raises(SignerStoreError, match="corrupt"):
                SafeSigner(KEY, store)
        path.unlink()
        path.mkdir()  # unreadable as a file
        with pytest.raises(SignerStoreError, match="cannot read"):
            store.load()


def test_unwritable_store_refuses(tmp_path: Path) -> None:
    path = tmp_path / "signer_state.json"
    with FileSignerStore(path) as store:
        signer = SafeSigner(KEY, store)  # nothing signed yet
        (tmp_path / ".signer_state.json.tmp").mkdir()  # the temp file cannot be created now
        with pytest.raises(SignerStoreError, match="cannot write"):
            signer.sign_vote(CHAIN, vote(1, 0))
        assert signer.last is None and not path.exists()


steps = st.tuples(
    st.integers(1, 3), st.integers(0, 2), st.sampled_from([Step.PROPOSE, Step.PREVOTE, Step.PRECOMMIT])
)


@given(st.lists(st.tuples(steps, st.sampled_from([A, B, b""])), max_size=25))
def test_never_two_signatures_for_one_height_round_step(
    requests: list[tuple[tuple[int, int, Step], bytes]],
) -> None:
    """Whatever order requests come in, at most one distinct message is signed per height/round/step,
    and the signed height/round/step sequence never goes back."""
    signer = SafeSigner(KEY, MemorySignerStore())
    signed: dict[tuple[int, int, Step], bytes] = {}
    last: tuple[int, int, int] = (0, 0, 0)
    for (h, r, step), block in requests:
        try:
            if step is Step.PROPOSE:
                msg: Vote | Proposal = signer.sign_proposal(CHAIN, proposal(h, r, block or A))
            else:
                vtype = VoteType.PREVOTE if step is Step.PREVOTE else VoteType.PRECOMMIT
                msg = signer.sign_vote(CHAIN, vote(h, r, vtype, block))
        except DoubleSignRefused:
            continue
        assert msg.verify(CHAIN, KEY.public_key)
        sign_bytes = msg.sign_bytes(CHAIN)
        assert signed.setdefault((h, r, step), sign_bytes) == sign_bytes
        assert (h, r, int(step)) >= last
        last = (h, r, int(step))


_SIGNER = """
import sys, time
from pathlib import Path
from okchain.consensus.messages import Vote, VoteType
from okchain.consensus.signer import SafeSigner
from okchain.crypto.ed25519 import ValidatorKey, validator_address
from okchain.node.signer_file import FileSignerStore

key = ValidatorKey(bytes(range(32)))
vote = Vote(VoteType.PRECOMMIT, 9, 0, b"\\xaa" * 32, 1_000, validator_address(key.public_key), b"")
signed = SafeSigner(key, FileSignerStore(Path(sys.argv[1]))).sign_vote(sys.argv[2], vote)
print(signed.signature.hex(), flush=True)
time.sleep(60)
"""


def test_signer_state_survives_sigkill(tmp_path: Path) -> None:
    """A real process signs a precommit and is SIGKILLed right after the signature left it; the restarted
    signer refuses a conflicting precommit and hands back the very same signature for the same one."""
    path = tmp_path / "signer_state.json"
    proc = subprocess.Popen(
        [sys.executable, "-c", _SIGNER, str(path), CHAIN], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert proc.stdout is not None
    signature = bytes.fromhex(proc.stdout.readline().strip())
    with pytest.raises(SignerStoreError, match="another node"):
        FileSignerStore(path)  # the live process holds the state
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    with FileSignerStore(path) as store:  # the kernel dropped the dead process's lock
        restarted = SafeSigner(KEY, store)
        with pytest.raises(DoubleSignRefused):
            restarted.sign_vote(CHAIN, vote(9, 0, VoteType.PRECOMMIT, block=B))
        again = restarted.sign_vote(CHAIN, vote(9, 0, VoteType.PRECOMMIT))
    assert again.signature == signature and again.verify(CHAIN, KEY.public_key)
