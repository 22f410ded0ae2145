"use strict";
// Market charts drawn as inline SVG from the API's decimal strings: no charting library to ship.
const W = 560, H = 220, PAD = 36;

function scale(lo, hi, from, to) {
  const span = hi - lo || 1;
  return (v) => from + ((v - lo) / span) * (to - from);
}

function axisLabels(xs, ys, xText, yText) {
  return `<text x="${PAD}" y="${H - 6}" font-size="10">${esc(xText)}</text>` +
    `<text x="4" y="${PAD - 10}" font-size="10">${esc(yText)}</text>` +
    `<line x1="${PAD}" y1="${H - PAD}" x2="${W - 8}" y2="${H - PAD}" stroke="#99a"/>` +
    `<line x1="${PAD}" y1="${PAD}" x2="${PAD}" y2="${H - PAD}" stroke="#99a"/>`;
}

// Price bounds with room around them (a single price still gets a visible range).
function bounds(values) {
  const lo = Math.min(...values), hi = Math.max(...values);
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.05 || 1;
  return [lo - pad, hi + pad];
}

// Cumulative quantity by price as filled steps: bids from the best (highest) price leftwards, asks from
// the best (lowest) rightwards, each starting at zero at its best price.
function depthChart(bids, asks) {
  if (!bids.length && !asks.length) return '<p class="chart-empty">The book is empty.</p>';
  const cum = (levels) => { let total = 0; return levels.map((l) => [Number(l.price), (total += Number(l.quantity))]); };
  const b = cum(bids), a = cum(asks);
  const [lo, hi] = bounds([...b, ...a].map((p) => p[0]));
  const x = scale(lo, hi, PAD, W - 8);
  const y = scale(0, Math.max(...[...b, ...a].map((p) => p[1])) * 1.1, H - PAD, PAD);
  const steps = (pts, edge) => {
    let d = `M${x(pts[0][0]).toFixed(1)},${y(0).toFixed(1)}`;
    pts.forEach((p, i) => {
      d += ` L${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`;
      const next = i + 1 < pts.length ? pts[i + 1][0] : edge;
      d += ` L${x(next).toFixed(1)},${y(p[1]).toFixed(1)}`;
    });
    return d + ` L${x(edge).toFixed(1)},${y(0).toFixed(1)} Z`;
  };
  return `<svg class="chart depth" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="depth chart">` +
    axisLabels(x, y, `price ${b.length ? b[b.length - 1][0] : a[0][0]} … ${a.length ? a[a.length - 1][0] : b[0][0]}`, "cumulative quantity") +
    (b.length ? `<path class="bids" d="${steps(b, lo)}" fill="#1a7f3733" stroke="#1a7f37" stroke-width="2"/>` : "") +
    (a.length ? `<path class="asks" d="${steps(a, hi)}" fill="#c0392b33" stroke="#c0392b" stroke-width="2"/>` : "") +
    `</svg>`;
}

// OHLC candles, oldest left; the API answers newest first.
function candleChart(candles) {
  if (!candles.length) return '<p class="chart-empty">No trades in this interval yet.</p>';
  const rows = [...candles].reverse();
  const lows = rows.map((c) => Number(c.low)), highs = rows.map((c) => Number(c.high));
  const [lo, hi] = bounds([...lows, ...highs]);
  const y = scale(lo, hi, H - PAD, PAD);
  const step = (W - PAD - 8) / Math.max(rows.length, 20), body = Math.min(14, Math.max(2, step * 0.6));
  const bars = rows.map((c, i) => {
    const cx = PAD + step * (i + 0.5), up = Number(c.close) >= Number(c.open);
    const top = y(Math.max(Number(c.open), Number(c.close))), bottom = y(Math.min(Number(c.open), Number(c.close)));
    const colour = up ? "#1a7f37" : "#c0392b";
    return `<g class="candle"><title>${esc(`open ${c.open} high ${c.high} low ${c.low} close ${c.close} volume ${c.volume}`)}</title>` +
      `<line x1="${cx}" y1="${y(Number(c.high))}" x2="${cx}" y2="${y(Number(c.low))}" stroke="${colour}"/>` +
      `<rect x="${cx - body / 2}" y="${top}" width="${body}" height="${Math.max(1, bottom - top)}" fill="${colour}"/></g>`;
  }).join("");
  return `<svg class="chart candles" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="candles chart">` +
    axisLabels(null, y, `${rows.length} candles`, `price ${Math.min(...lows)} … ${Math.max(...highs)}`) + bars + `</svg>`;
}
