"""The block explorer in a real headless Chromium (Debian's chromium and chromium-driver, driven by
selenium) against a node with transfers, a token, a validator and DEX trading: each page shows what the
gRPC API answers for the same objects, live pages follow new blocks, the search box finds a tx, a block
and an address and says clearly when nothing matches, and the browser console stays free of errors."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from okchain._pb.dex.v1 import query_pb2 as dex_pb2
from okchain._pb.explorer.v1 import query_pb2 as explorer_pb2
from okchain._pb.node.v1 import query_pb2
from okchain.client import Client, TxOutcome
from okchain.client.core import Call, Op
from okchain.crypto.address import to_checksum
from okchain.crypto.ed25519 import ValidatorKey
from okchain.modules.dex.messages import ListPair, Side
from okchain.modules.staking.messages import CreateValidator, Description
from okchain.modules.token.messages import IssueToken
from okchain.node.config import NodeConfig
from okchain.node.home import Home
from tests.helpers.chain import OKT, free_port, funded_keys
from tests.helpers.dex import order, place
from tests.helpers.processes import NodeProcess, configure, init_node, serve

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
MAKER, TAKER, OPERATOR = funded_keys(3)
WAIT = 20


@dataclass
class Chain:
    node: NodeProcess
    base: str
    client: Client
    transfer: TxOutcome
    pair: str
    denom: str


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    proc = init_node(tmp_path_factory.mktemp("explorer"), [MAKER, TAKER, OPERATOR], block_time_ms=300)
    configure(proc, api_listen=f"127.0.0.1:{free_port()}")
    for node in serve(proc):
        with Client(node.target) as c:
            transfer = c.send(MAKER, TAKER.address, 5 * OKT, memo="to the taker")
            issued = c.broadcast(MAKER, [IssueToken("xyz", "XYZ", 1000 * OKT, False)])
            denom = {a.key: a.value for e in issued.result.events for a in e.attributes}["denom"]
            assert c.broadcast(MAKER, [ListPair(denom, "okt", 2, 1, OKT // 2)]).ok
            pair = f"{denom}_okt"
            assert c.broadcast(MAKER, [place(order(pair, Side.SELL, "2", "10"))]).ok
            assert c.broadcast(
                TAKER, [place(order(pair, Side.BUY, "2.1", "4"), order(pair, Side.BUY, "1.5", "3"))]
            ).ok
            description = Description("explorer-test", website="https://example.org")
            created = c.broadcast(
                OPERATOR,
                [
                    CreateValidator(
                        description, ValidatorKey.generate().public_key, 10**17, 2 * 10**17, 10**16
                    )
                ],
            )
            assert created.ok, created.result.log
            base = "http://" + NodeConfig.load(Home(node.home).config_file).api_listen
            yield Chain(node, base, c, transfer, pair, denom)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), (
        "install Debian's chromium and chromium-driver (.ci/run does)"
    )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def visit(browser: WebDriver, chain: Chain, fragment: str) -> str:
    """Open ``#/fragment`` and wait for that page to render; returns its text."""
    browser.get(f"{chain.base}/#/{fragment}")
    WebDriverWait(browser, WAIT).until(
        lambda b: b.execute_script("return document.getElementById('page').dataset.route") == f"#/{fragment}"
    )
    text = read(browser, "#page")
    assert "Cannot show this" not in text, text
    return text


def read(browser: WebDriver, selector: str) -> str:
    """An element's rendered text, read in one step (live pages re-render under the test)."""
    text = browser.execute_script(
        f"const e = document.querySelector({selector!r}); return e ? e.innerText : ''"
    )
    return str(text)


def count(browser: WebDriver, selector: str) -> int:
    return int(browser.execute_script(f"return document.querySelectorAll({selector!r}).length"))


def no_console_errors(browser: WebDriver) -> None:
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []


def shown_units(browser: WebDriver) -> set[str]:
    """The exact base units behind every amount on the page (their hover titles)."""
    titles = browser.execute_script("return [...document.querySelectorAll('.amount')].map((e) => e.title)")
    return {title.split()[0] for title in titles}


def test_home_shows_the_chain_and_follows_new_blocks(browser: WebDriver, chain: Chain) -> None:
    stats = chain.client.run(_call("explorer", "NetworkStats", explorer_pb2.NetworkStatsRequest()))
    text = visit(browser, chain, "")  # read after the API, so the page is at least as new
    assert "Latest blocks" in text and "validators online" in text.lower()
    assert chain.transfer.tx_hash.hex()[:10] in text  # the latest txs list holds the transfer
    height = int(read(browser, "#stat-height .value"))
    assert height >= int(stats.height)
    WebDriverWait(browser, WAIT).until(lambda b: int(read(b, "#stat-height .value")) > height)
    live = browser.execute_script("return document.getElementById('live').dataset.height")
    assert live is not None and int(live) > height
    no_console_errors(browser)


def test_block_and_tx_pages_match_the_api(browser: WebDriver, chain: Chain) -> None:
    height = chain.transfer.height
    text = visit(browser, chain, f"block/{height}")
    api_block = chain.client.block(height)
    assert f"Block {height}" in text and api_block.block_hash.hex() in text.replace("\n", " ")
    assert all(t.tx_hash.hex()[:10] in text for t in api_block.txs)
    signers = chain.client.run(
        _call("node", "Headers", query_pb2.HeadersRequest(from_height=height, to_height=height))
    )
    assert count(browser, "h2.signers + table tbody tr") == len(signers.headers[0].commit.signatures)
    text = visit(browser, chain, f"tx/{chain.transfer.tx_hash.hex()}")
    api_tx = chain.client.tx(chain.transfer.tx_hash)
    assert "success" in text and "to the taker" in text and "transfer" in text
    assert api_tx.info.fee in shown_units(browser)  # the fee, exact on hover
    assert f'"amount": "{5 * OKT}"' in text and to_checksum(TAKER.address) in text  # message and recipient
    no_console_errors(browser)


def test_address_page_shows_balances_txs_and_orders(browser: WebDriver, chain: Chain) -> None:
    taker = to_checksum(TAKER.address)
    text = visit(browser, chain, f"address/{taker}")
    balances = chain.client.balances(TAKER.address)
    assert {str(v) for v in balances.values()} <= shown_units(browser)
    assert chain.transfer.tx_hash.hex()[:10] in text
    orders = chain.client.run(_call("dex", "Orders", dex_pb2.OrdersRequest(address=taker)))
    assert len(orders.orders) == 2 and all(o.id in text for o in orders.orders)
    no_console_errors(browser)


def test_market_page_shows_ticker_depth_candles_and_deals(browser: WebDriver, chain: Chain) -> None:
    text = visit(browser, chain, f"market/{chain.pair}")
    ticker = chain.client.run(_call("dex", "Ticker", dex_pb2.TickerRequest(pair=chain.pair)))
    deals = chain.client.run(_call("dex", "Deals", dex_pb2.DealsRequest(pair=chain.pair)))
    assert read(browser, "#ticker-last .value") == ticker.last
    assert count(browser, "svg.depth path.bids") == count(browser, "svg.depth path.asks") == 1
    assert count(browser, "svg.candles g.candle")
    assert len(deals.deals) >= 2 and all(d.order_id in text for d in deals.deals)
    visit(browser, chain, f"market/{chain.pair}?interval=1h")
    assert read(browser, ".intervals a.current") == "1h"
    no_console_errors(browser)


def test_validator_token_and_list_pages(browser: WebDriver, chain: Chain) -> None:
    operator = to_checksum(OPERATOR.address)
    assert "explorer-test" in visit(browser, chain, "validators")
    text = visit(browser, chain, f"validator/{operator}")
    assert "Missed blocks in window" in text and "https://example.org" in text
    assert chain.denom in visit(browser, chain, "tokens")
    assert "XYZ" in visit(browser, chain, f"token/{chain.denom}")
    assert chain.pair in visit(browser, chain, "dex")
    no_console_errors(browser)


def search(browser: WebDriver, chain: Chain, text: str) -> str:
    """Type ``text`` into the search box on the home page; returns the page it leads to (its hash)."""
    visit(browser, chain, "")
    box = browser.find_element(By.ID, "search-box")
    box.clear()
    box.send_keys(text, Keys.ENTER)
    route = "return document.getElementById('page').dataset.route"
    WebDriverWait(browser, WAIT).until(
        lambda b: b.execute_script(route) not in ("#/", None) and "Opening" not in read(b, "#page")
    )
    return str(browser.execute_script(route))


def test_the_search_box_finds_a_tx_a_block_and_an_address(browser: WebDriver, chain: Chain) -> None:
    tx_hash = chain.transfer.tx_hash.hex()
    assert search(browser, chain, tx_hash) == f"#/tx/{tx_hash}"
    assert search(browser, chain, str(chain.transfer.height)) == f"#/block/{chain.transfer.height}"
    taker = to_checksum(TAKER.address)
    assert search(browser, chain, taker.lower()) == f"#/address/{taker}"
    assert search(browser, chain, chain.pair) == f"#/market/{chain.pair}"
    assert search(browser, chain, chain.denom) == f"#/token/{chain.denom}"
    assert search(browser, chain, "nosuch_okt") == "#/search?q=nosuch_okt"
    assert "Not found" in read(browser, "#page") and "nothing matches" in read(browser, "#page")
    no_console_errors(browser)


def _call(service: str, method: str, request: Any) -> Op[Any]:
    """One raw call through the library client (for the methods it has no typed helper for)."""
    return (yield Call(service, method, request))
