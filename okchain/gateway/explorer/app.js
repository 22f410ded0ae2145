"use strict";
// The explorer: hash routes (#/block/12, #/tx/<hex>, …), each page built from the node's public JSON API
// (the gateway under /okchain/…), and one block stream that refreshes live pages as blocks commit.

const page = document.getElementById("page");
const INTERVALS = ["1m", "5m", "15m", "1h", "4h", "1d"];

class NotFound extends Error {}

async function api(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== ""));
  const response = await fetch(`/okchain/${path}?${query}`);
  const body = await response.json();
  if (response.status === 404) throw new NotFound(body.message);
  if (!response.ok) throw new Error(`${body.code}: ${body.message}`);
  return body;
}

function table(headers, rows, numeric = []) {
  const th = headers.map((h, i) => `<th${numeric.includes(i) ? ' class="num"' : ""}>${esc(h)}</th>`).join("");
  const body = rows.length
    ? rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="num"' : ""}>${c}</td>`).join("")}</tr>`).join("")
    : `<tr><td colspan="${headers.length}">None.</td></tr>`;
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

function kv(pairs) {
  return `<dl class="kv">${pairs.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

function card(label, value, id) {
  return `<div class="card" id="${id}"><div class="label">${esc(label)}</div><div class="value">${value}</div></div>`;
}

function pager(route, token) {
  return token ? `<div class="pager"><a href="#/${route}?page=${encodeURIComponent(token)}">next page →</a></div>` : "";
}

function txRows(txs) {
  return txs.map((t) => [txLink(b64hex(t.tx_hash)), blockLink(t.height), addressLink(t.signer),
    esc((t.messages || []).map((m) => Object.keys(m)[0]).join(", ")), resultBadge(t.result), when(t.time_ns)]);
}

async function home() {
  const [stats, recent, validators] = await Promise.all([
    api("explorer/v1/NetworkStats"), api("explorer/v1/RecentBlocks", { page_size: 100 }),
    api("staking/v1/Validators", { status: "active", page_size: 100 }),
  ]);
  const txs = [];
  for (const b of recent.blocks.filter((b) => b.tx_count > 0)) {
    txs.push(...(await api("node/v1/TxsByBlock", { height: b.height, page_size: 10 })).txs);
    if (txs.length >= 10) break;
  }
  return `<h1>OKChain</h1><div class="cards">` +
    card("Height", blockLink(stats.height), "stat-height") +
    card("Average block time", `${esc(stats.average_block_time_ms)} ms`, "stat-block-time") +
    card("Transactions per second", esc(stats.tps), "stat-tps") +
    card("Total transactions", esc(stats.total_txs), "stat-txs") +
    card("OKT supply", amount(stats.okt_supply), "stat-supply") +
    card("Bonded", rate(stats.bonded_ratio), "stat-bonded") +
    card("Validators online", esc(validators.validators.length), "stat-validators") +
    `</div><div class="cols"><section><h2>Latest blocks</h2>` +
    table(["Height", "Hash", "Txs", "Time"], recent.blocks.slice(0, 10).map((b) => [blockLink(b.height),
      `<span class="mono">${esc(short(b64hex(b.block_hash)))}</span>`, esc(b.tx_count), when(b.time_ns)]), [2]) +
    `</section><section><h2>Latest transactions (last 100 blocks)</h2>` +
    table(["Hash", "Block", "From", "Messages", "Result", "Time"], txRows(txs.slice(0, 10))) + `</section></div>`;
}

async function block(height, token) {
  const [b, signed] = await Promise.all([
    api("node/v1/BlockWithTxs", { height, page_token: token, page_size: 30 }),
    api("node/v1/Headers", { from_height: height, to_height: height }),
  ]);
  const h = b.header, commit = signed.headers.length ? signed.headers[0].commit : { signatures: [] };
  return `<h1>Block ${esc(h.height)}</h1>` + kv([
    ["Hash", `<span class="mono">${esc(b64hex(b.block_hash))}</span>`], ["Time", when(h.time_ns)],
    ["Proposer", `<span class="mono">${esc(b64hex(h.proposer_address))}</span>`], ["Transactions", esc(b.total_txs)],
    ["Previous block", h.height > 1 ? blockLink(h.height - 1) : "—"],
    ["App hash before", `<span class="mono">${esc(b64hex(h.app_hash))}</span>`],
    ["App hash after", `<span class="mono">${esc(b64hex(b.app_hash))}</span>`],
    ["Validators hash", `<span class="mono">${esc(b64hex(h.validators_hash))}</span>`],
  ]) + `<h2>Transactions</h2>` + table(["Hash", "Block", "From", "Messages", "Result", "Time"], txRows(b.txs)) +
    pager(`block/${height}`, b.next_page_token) +
    `<h2 class="signers">Commit signers (round ${esc(commit.round || 0)})</h2>` +
    table(["Validator", "Signed at"], commit.signatures.map((s) => [`<span class="mono">${esc(b64hex(s.validator_address))}</span>`, when(s.time_ns)]));
}

async function tx(hex) {
  const t = await api("node/v1/GetTx", { hash: hexb64(hex) });
  const info = t.info, r = t.result;
  return `<h1>Transaction ${esc(hex)}</h1>` + kv([
    ["Result", resultBadge(r) + (r.log ? ` — ${esc(r.log)}` : "")], ["Block", blockLink(t.height)],
    ["Index in block", esc(t.index || 0)], ["Time", when(t.time_ns)], ["From", addressLink(info.signer)],
    ["Nonce", esc(info.nonce || 0)], ["Fee", amount(info.fee)], ["Gas limit / used", `${esc(info.gas_limit)} / ${esc(r.gas_used)}`],
    ["Memo", esc(info.memo)], ["Recipients", (info.recipients || []).map(addressLink).join("<br>") || "—"],
  ]) + `<h2>Messages</h2><pre class="mono">${esc(JSON.stringify(info.messages, null, 2))}</pre>` +
    `<h2>Events</h2>` + table(["Type", "Attributes"], (r.events || []).map((e) => [esc(e.type),
      (e.attributes || []).map((a) => `${esc(a.key)} = <span class="mono">${esc(a.value)}</span>`).join("<br>")]));
}

async function address(addr, token) {
  const [found, balances, txs, orders, voter, rewards] = await Promise.all([
    api("explorer/v1/Search", { query: addr }), api("node/v1/AllBalances", { address: addr }),
    api("node/v1/TxsByAddress", { address: addr, page_token: token, page_size: 20 }),
    api("dex/v1/Orders", { address: addr, page_size: 50 }), api("staking/v1/Voter", { address: addr }),
    api("distribution/v1/Rewards", { address: addr }),
  ]);
  const a = found.address;
  return `<h1>Address ${esc(a.address)}</h1>` + kv([
    ["bech32", `<span class="mono">${esc(a.bech32)}</span>`], ["Nonce", esc(a.nonce || 0)],
    ["Validator operator", a.validator ? `<a href="#/validator/${esc(a.address)}">yes</a>` : "no"],
    ["Staked deposit", amount(voter.deposit)], ["Votes for", (voter.validators || []).map(addressLink).join("<br>") || "—"],
    ["Pending rewards", amount(rewards.total)],
  ]) + `<h2>Balances</h2>` + table(["Denom", "Amount"], balances.balances.map((b) => [esc(b.denom), amount(b.amount, b.denom)]), [1]) +
    `<h2>Transactions</h2>` + table(["Hash", "Block", "From", "Messages", "Result", "Time"], txRows(txs.txs)) +
    pager(`address/${addr}`, txs.next_page_token) +
    `<h2>Orders</h2>` + table(["Id", "Pair", "Side", "Price", "Quantity", "Filled", "Status", "Placed"],
      orders.orders.map((o) => [esc(o.id), `<a href="#/market/${esc(o.pair)}">${esc(o.pair)}</a>`,
        `<span class="${o.side === "BUY" ? "buy" : "sell"}">${esc(o.side)}</span>`, esc(o.price), esc(o.quantity),
        esc(o.filled), esc(o.status), blockLink(o.height)]), [3, 4, 5]);
}

async function validators() {
  const list = await api("staking/v1/Validators", { page_size: 100 });
  return `<h1>Validators</h1>` + table(["Moniker", "Operator", "Status", "Shares", "Voters", "Commission"],
    list.validators.map((v) => [`<a href="#/validator/${esc(v.operator)}">${esc(v.moniker)}</a>`, addressLink(v.operator),
      esc(v.status), amount(v.shares, "shares"), esc(v.voters || 0), rate(v.commission_rate)]), [3, 4, 5]);
}

async function validator(operator) {
  const [v, rewards] = await Promise.all([
    api("staking/v1/Validator", { operator }), api("distribution/v1/ValidatorRewards", { operator }),
  ]);
  const info = v.validator;
  // a candidate that never signed has no signing record yet: do not ask for one
  const s = info.status === "candidate" ? {} : (await api("slashing/v1/SigningInfo", { operator })).info;
  return `<h1>Validator ${esc(info.moniker)}</h1>` + kv([
    ["Operator", addressLink(info.operator)], ["Status", esc(info.status)], ["Consensus key", `<span class="mono">${esc(b64hex(info.consensus_pubkey))}</span>`],
    ["Self deposit", amount(info.self_deposit)], ["Shares", amount(info.shares, "shares")], ["Vote shares", amount(info.vote_shares, "shares")],
    ["Voters", esc(info.voters || 0)], ["Commission", `${rate(info.commission_rate)} (max ${rate(info.max_rate)}, change ≤ ${rate(info.max_change_rate)})`],
    ["Missed blocks in window", esc(s.missed_blocks || 0)], ["Jailed", s.jailed ? `yes, until ${when(s.jailed_until_ns)}` : "no"],
    ["Tombstoned", s.tombstoned ? "yes" : "no"], ["Outstanding rewards", amount(rewards.outstanding)], ["Commission earned", amount(rewards.commission)],
    ["Website", esc(info.website)], ["Details", esc(info.details)],
  ]);
}

async function tokens() {
  const list = await api("token/v1/Tokens", { page_size: 100 });
  return `<h1>Tokens</h1>` + table(["Denom", "Name", "Symbol", "Supply", "Owner", "Mintable"],
    list.tokens.map((t) => [`<a href="#/token/${esc(t.denom)}">${esc(t.denom)}</a>`, esc(t.name), esc(t.symbol),
      amount(t.supply, t.denom), addressLink(t.owner), t.mintable ? "yes" : "no"]), [3]);
}

async function token(denom) {
  const t = (await api("token/v1/Token", { denom })).token;
  return `<h1>Token ${esc(t.denom)}</h1>` + kv([["Name", esc(t.name)], ["Symbol", esc(t.symbol)], ["Supply", amount(t.supply, t.denom)],
    ["Original supply", amount(t.original_supply, t.denom)], ["Owner", addressLink(t.owner)], ["Mintable", t.mintable ? "yes" : "no"]]);
}

// Pairs come in pages (by id): follow next_page_token to the last one, all read at the first page's height.
async function allPairs() {
  const first = await api("dex/v1/Pairs");
  const pairs = [...(first.pairs || [])];
  for (let token = first.next_page_token; token; ) {
    const page = await api("dex/v1/Pairs", { page_token: token, height: first.height });
    pairs.push(...(page.pairs || []));
    token = page.next_page_token;
  }
  return pairs;
}

async function dex() {
  const pairs = await allPairs();
  return `<h1>DEX pairs</h1>` + table(["Pair", "Last price", "Min quantity", "Listed at", "Status"],
    pairs.map((p) => [`<a href="#/market/${esc(p.name)}">${esc(p.name)}</a>`, esc(p.last_price || "—"),
      esc(p.min_quantity), blockLink(p.listed_height), p.listed ? "listed" : "delisted"]), [1, 2]);
}

async function market(pair, interval = "1m") {
  const [ticker, depth, candles, deals] = await Promise.all([
    api("dex/v1/Ticker", { pair }), api("dex/v1/Depth", { pair, levels: 20 }),
    api("dex/v1/Candles", { pair, interval, limit: 60 }), api("dex/v1/Deals", { pair, limit: 30 }),
  ]);
  const links = INTERVALS.map((i) => `<a class="${i === interval ? "current" : ""}" href="#/market/${esc(pair)}?interval=${i}">${i}</a>`).join("");
  const levels = (side) => side.map((l) => [esc(l.price), esc(l.quantity), esc(l.orders)]);
  return `<h1>Market ${esc(pair)}</h1><div class="cards">` +
    card("Last", esc(ticker.last || "—"), "ticker-last") + card("24 h high", esc(ticker.high_24h || "—"), "ticker-high") +
    card("24 h low", esc(ticker.low_24h || "—"), "ticker-low") + card("24 h volume", esc(ticker.volume_24h || "0"), "ticker-volume") +
    `</div><div class="cols"><section><h2>Depth</h2>${depthChart(depth.bids, depth.asks)}` +
    `<div class="cols"><div><h2>Bids</h2>${table(["Price", "Quantity", "Orders"], levels(depth.bids), [0, 1, 2])}</div>` +
    `<div><h2>Asks</h2>${table(["Price", "Quantity", "Orders"], levels(depth.asks), [0, 1, 2])}</div></div></section>` +
    `<section><h2>Candles</h2><div class="intervals">${links}</div>${candleChart(candles.candles)}` +
    `<h2>Recent deals</h2>` + table(["Block", "Order", "Side", "Price", "Quantity", "Time"], deals.deals.map((d) => [blockLink(d.height),
      esc(d.order_id), `<span class="${d.side === "BUY" ? "buy" : "sell"}">${esc(d.side)}</span>`, esc(d.price), esc(d.quantity), when(d.time_unix_ns)]), [3, 4]) +
    `</section></div>`;
}

// What the search box names, in order: a height, a 64-hex hash (block or tx), an address, a pair, a denom.
async function search(text) {
  const q = text.trim();
  if (/^\d+$/.test(q)) return `#/block/${q}`;
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(q)) {
    const found = await api("explorer/v1/Search", { query: q });
    return found.tx ? `#/tx/${b64hex(found.tx.tx_hash)}` : `#/block/${found.block.height}`;
  }
  if (/^(0x[0-9a-fA-F]{40}|ok1[0-9a-z]{38})$/.test(q)) return `#/address/${(await api("explorer/v1/Search", { query: q })).address.address}`;
  // pairs and denoms are looked up in lists, so a miss is an answer, not a failed request
  if ((await allPairs()).some((p) => p.name === q)) return `#/market/${q}`;
  const tokens = await api("token/v1/Tokens", { page_token: q, page_size: 1 });
  if (tokens.tokens.length && tokens.tokens[0].denom === q) return `#/token/${q}`;
  throw new NotFound("no block, tx, address, pair or token by that name");
}

const ROUTES = [
  [/^$/, () => home(), true], [/^block\/(\d+)$/, (m, p) => block(m[1], p.get("page")), false],
  [/^tx\/([0-9a-f]{64})$/i, (m) => tx(m[1]), false], [/^address\/([^/]+)$/, (m, p) => address(m[1], p.get("page")), true],
  [/^validators$/, () => validators(), true], [/^validator\/([^/]+)$/, (m) => validator(m[1]), true],
  [/^tokens$/, () => tokens(), false], [/^token\/([^/]+)$/, (m) => token(decodeURIComponent(m[1])), false],
  [/^dex$/, () => dex(), true], [/^search$/, (m, p) => searchPage(p.get("q") || ""), false], [/^market\/([^/]+)$/, (m, p) => market(decodeURIComponent(m[1]), p.get("interval") || "1m"), true],
];

let liveRoute = false;
let generation = 0; // a render started later wins: an older one still loading must not overwrite it

async function render() {
  const mine = ++generation;
  const hash = location.hash;
  const [path, query] = hash.replace(/^#\/?/, "").split("?");
  const params = new URLSearchParams(query || "");
  const route = ROUTES.find(([pattern]) => pattern.test(path));
  liveRoute = Boolean(route && route[2]);
  let html;
  try {
    if (!route) throw new NotFound(`no page at #/${path}`);
    html = await route[1](path.match(route[0]), params);
  } catch (err) {
    html = notFound(err);
  }
  if (mine !== generation) return;
  page.innerHTML = html;
  page.dataset.route = hash;
  page.dataset.rendered = String(mine);
}

function notFound(err) {
  const what = err instanceof NotFound ? "Not found" : "Cannot show this";
  return `<div class="notfound"><h1>${what}</h1><p>${esc(err.message)}</p><p><a href="#/">Back to the latest blocks</a></p></div>`;
}

document.getElementById("search").addEventListener("submit", (event) => {
  event.preventDefault();
  location.hash = `#/search?q=${encodeURIComponent(document.getElementById("search-box").value.trim())}`;
});

// #/search?q=… resolves the query and replaces itself with the page it names, or says nothing matches.
async function searchPage(text) {
  try {
    location.replace(await search(text));
    return "<p>Opening…</p>";
  } catch (err) {
    throw new NotFound(`nothing matches “${text}”: ${err.message}`);
  }
}

function follow() {
  const stream = new EventSource("/okchain/stream/v1/SubscribeBlocks");
  const live = document.getElementById("live");
  stream.onmessage = (event) => {
    const b = JSON.parse(event.data);
    live.textContent = `block ${b.height}`;
    live.dataset.height = b.height;
    if (liveRoute) render();
  };
  stream.onerror = () => { live.textContent = "reconnecting…"; };
}

window.addEventListener("hashchange", render);
render();
follow();
