"use strict";
// Formatting shared by every page: escaping, hashes, addresses, amounts (all denoms carry 18 decimals,
// shown exact, with the base units on hover) and block times in the viewer's zone.
const DECIMALS = 18n;

function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function b64hex(b64) {
  if (!b64) return "";
  const bin = atob(b64);
  let out = "";
  for (let i = 0; i < bin.length; i++) out += bin.charCodeAt(i).toString(16).padStart(2, "0");
  return out;
}

function hexb64(hex) {
  const clean = hex.replace(/^0x/, "");
  let bin = "";
  for (let i = 0; i < clean.length; i += 2) bin += String.fromCharCode(parseInt(clean.slice(i, i + 2), 16));
  return btoa(bin);
}

function short(hex, n = 10) {
  return hex.length > 2 * n ? `${hex.slice(0, n)}…${hex.slice(-6)}` : hex;
}

// "1234500000000000000" okt → "1.2345 OKT" with the exact base units in the title.
function amount(base, denom = "okt") {
  const units = BigInt(base || "0");
  const scale = 10n ** DECIMALS;
  const whole = units / scale;
  const frac = (units % scale).toString().padStart(Number(DECIMALS), "0").replace(/0+$/, "");
  const text = whole.toLocaleString("en-US") + (frac ? "." + frac : "");
  const label = denom === "okt" ? "OKT" : denom;
  return `<span class="amount" title="${esc(units.toString())} base units of ${esc(denom)}">${esc(text)} ${esc(label)}</span>`;
}

function when(ns) {
  if (!ns || ns === "0") return "—";
  const date = new Date(Number(BigInt(ns) / 1000000n));
  return `<time datetime="${date.toISOString()}" title="${esc(ns)} ns since 1970 (UTC ${date.toISOString()})">${esc(date.toLocaleString())}</time>`;
}

function blockLink(height) {
  return `<a href="#/block/${esc(height)}">${esc(height)}</a>`;
}

function txLink(hex) {
  return `<a class="mono" href="#/tx/${esc(hex)}" title="${esc(hex)}">${esc(short(hex))}</a>`;
}

function addressLink(address) {
  return address ? `<a class="mono" href="#/address/${esc(address)}">${esc(address)}</a>` : "—";
}

function resultBadge(result) {
  const code = (result && result.code) || 0;
  return code === 0 ? '<span class="ok">success</span>' : `<span class="fail" title="${esc(result.log)}">failed (${esc(code)})</span>`;
}

// A rate scaled by 10^18 (the API's form for commissions and the bonded share) as a percentage.
function rate(scaled) {
  return `${(Number(BigInt(scaled || "0") / 10n ** 14n) / 100).toFixed(2)}%`;
}
