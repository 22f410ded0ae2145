"""Random staking histories through the real application: the accounting holds after every block."""

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from okchain.crypto.secp import AccountKey
from okchain.modules.staking.messages import (
    Deposit,
)
from okchain.state.store import MemoryKV
from okchain.types.results import Code
from tests.helpers.chain import OKT
from tests.helpers.staking import KEYS, PARAMS, SECOND, check_invariants, create, new_chain, staking_messages

VALIDATORS = KEYS[:3]
MIN = PARAMS.staking_min_deposit
AMOUNTS = st.sampled_from([MIN - 1, MIN, OKT, 3 * OKT, 50 * OKT])
ACCOUNTS = st.sampled_from(range(len(KEYS)))
PROXIES = [k.address for k in KEYS[3:]]
MESSAGES = st.one_of(*staking_messages([k.address for k in VALIDATORS], PROXIES, AMOUNTS))
STEPS = st.lists(st.tuples(ACCOUNTS, MESSAGES, st.integers(1, 8)), min_size=10, max_size=40)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS)
def test_random_staking_keeps_supply_pool_and_shares_consistent(steps: list[tuple[int, object, int]]) -> None:
    chain = new_chain(MemoryKV())
    for i, key in enumerate(VALIDATORS):
        chain.ok(key, create(i))
    for key in KEYS:
        chain.ok(key, Deposit(10 * OKT))
    check_invariants(chain.db)
    codes: set[Code] = set()
    for who, msg, seconds in steps:
        key: AccountKey = KEYS[who]
        code = chain.run(key, msg, after_ns=seconds * SECOND).code
        event(f"{type(msg).__name__}: {code.name}")
        codes.add(code)
        check_invariants(chain.db)
    for _ in range(12):  # every unbonding queued above matures within the period
        chain.produce([], after_ns=PARAMS.staking_unbonding_seconds * SECOND)
        check_invariants(chain.db)
    assert not any(chain.db.iterate(b"SVu"))
    assert codes <= {Code.OK, *(c for c in Code if c.name.startswith("STAKING_"))}
