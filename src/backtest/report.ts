/**
 * The HTML report of a result: one self-contained file (inline SVG charts, inline CSS and a
 * few lines of inline script; nothing loaded from anywhere) with the equity curve against the
 * benchmark, the drawdown, the monthly returns heatmap, the metrics, the trades, and the
 * walk-forward and Monte Carlo panels when the run had them.
 */
import type { MonteCarloResult } from './monte-carlo.ts';
import type { BacktestResult } from './run.ts';
import type { WalkForwardResult } from './walk-forward.ts';

const W = 960;
const H = 280;
const PAD = { left: 64, right: 16, top: 12, bottom: 28 };

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const pct = (x: number | null | undefined, digits = 2): string =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)} %`;
const num = (x: number | null | undefined, digits = 2): string =>
  x === null || x === undefined
    ? '—'
    : x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** At most `max` evenly spaced indexes of `n` points (first and last kept). */
function sampleIndexes(n: number, max: number): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let k = 0; k < max; k++) out.push(Math.round((k * (n - 1)) / (max - 1)));
  return out;
}

interface Line {
  readonly values: readonly (number | null)[];
  readonly color: string;
  readonly label: string;
  readonly fill?: boolean;
}

function lineChart(
  id: string,
  dates: readonly string[],
  lines: readonly Line[],
  format: (v: number) => string,
): string {
  const all = lines.flatMap((l) =>
    l.values.filter((v): v is number => v !== null && Number.isFinite(v)),
  );
  if (all.length === 0 || dates.length === 0) return '<p class="empty">No data.</p>';
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (lo === hi) {
    lo -= 1;
    hi += 1;
  }
  const idx = sampleIndexes(dates.length, 1500);
  const x = (i: number): number =>
    PAD.left + ((W - PAD.left - PAD.right) * i) / Math.max(1, dates.length - 1);
  const y = (v: number): number => PAD.top + ((H - PAD.top - PAD.bottom) * (hi - v)) / (hi - lo);
  const ticks = Array.from({ length: 5 }, (_, k) => lo + ((hi - lo) * k) / 4);
  const grid = ticks
    .map(
      (v) =>
        `<line class="grid" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text class="axis" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(format(v))}</text>`,
    )
    .join('');
  const xTicks = sampleIndexes(dates.length, 6)
    .map(
      (i) =>
        `<text class="axis" x="${x(i).toFixed(1)}" y="${H - 8}" text-anchor="middle">${esc(dates[i] ?? '')}</text>`,
    )
    .join('');
  const paths = lines
    .map((l) => {
      const pts = idx
        .filter((i) => l.values[i] !== null && l.values[i] !== undefined)
        .map((i) => `${x(i).toFixed(1)},${y(l.values[i] ?? 0).toFixed(1)}`);
      if (pts.length === 0) return '';
      const d = `M${pts.join('L')}`;
      const area =
        l.fill === true
          ? `<path d="${d}L${x(idx[idx.length - 1] ?? 0).toFixed(1)},${y(Math.min(0, hi)).toFixed(1)}L${x(0).toFixed(1)},${y(Math.min(0, hi)).toFixed(1)}Z" fill="${l.color}" fill-opacity="0.25" stroke="none"/>`
          : '';
      return `${area}<path class="series" data-label="${esc(l.label)}" d="${d}" fill="none" stroke="${l.color}" stroke-width="1.6"/>`;
    })
    .join('');
  const legend = lines
    .map(
      (l, k) =>
        `<rect x="${PAD.left + 10 + k * 160}" y="${PAD.top + 4}" width="12" height="3" fill="${l.color}"/><text class="legend" x="${PAD.left + 28 + k * 160}" y="${PAD.top + 9}">${esc(l.label)}</text>`,
    )
    .join('');
  const data = esc(
    JSON.stringify({
      dates: idx.map((i) => dates[i]),
      lines: lines.map((l) => ({ label: l.label, values: idx.map((i) => l.values[i] ?? null) })),
    }),
  );
  return `<svg id="${id}" class="chart" viewBox="0 0 ${W} ${H}" role="img" data-points="${data}">${grid}${xTicks}${paths}${legend}<line class="cursor" x1="0" x2="0" y1="${PAD.top}" y2="${H - PAD.bottom}" visibility="hidden"/></svg><div class="tip" id="${id}-tip"></div>`;
}

function heatColor(r: number): string {
  const a = Math.min(1, Math.abs(r) / 0.1);
  return r >= 0
    ? `rgba(22,163,74,${(0.15 + 0.75 * a).toFixed(2)})`
    : `rgba(220,38,38,${(0.15 + 0.75 * a).toFixed(2)})`;
}

function heatmap(result: BacktestResult): string {
  const byYear = new Map<string, Map<number, number>>();
  for (const m of result.monthly_returns) {
    const year = m.month.slice(0, 4);
    let row = byYear.get(year);
    if (row === undefined) byYear.set(year, (row = new Map<number, number>()));
    row.set(Number(m.month.slice(5, 7)), m.return);
  }
  if (byYear.size === 0) return '<p class="empty">No data.</p>';
  const months = [
    'Jan',
    'Feb',
    'Mar',
    'Apr',
    'May',
    'Jun',
    'Jul',
    'Aug',
    'Sep',
    'Oct',
    'Nov',
    'Dec',
  ];
  const head = `<tr><th>Year</th>${months.map((m) => `<th>${m}</th>`).join('')}<th>Year</th></tr>`;
  const rows = [...byYear]
    .map(([year, row]) => {
      const total = [...row.values()].reduce((acc, r) => acc * (1 + r), 1) - 1;
      const cells = months
        .map((_, i) => {
          const r = row.get(i + 1);
          return r === undefined
            ? '<td></td>'
            : `<td class="cell" style="background:${heatColor(r)}">${(r * 100).toFixed(1)}</td>`;
        })
        .join('');
      return `<tr><th>${year}</th>${cells}<td class="cell" style="background:${heatColor(total)}"><b>${(total * 100).toFixed(1)}</b></td></tr>`;
    })
    .join('');
  return `<table id="heatmap" class="heatmap">${head}${rows}</table><p class="note">Monthly returns in percent.</p>`;
}

function metricsTable(result: BacktestResult): string {
  const m = result.metrics;
  const b = result.benchmark;
  const rows: [string, string, string][] = [
    ['Total return', pct(m.total_return), pct(b?.total_return)],
    ['Annual return (CAGR)', pct(m.annual_return), pct(b?.annual_return)],
    ['Annual volatility', pct(m.annual_volatility), ''],
    ['Sharpe', num(m.sharpe), num(b?.sharpe)],
    ['Sortino', num(m.sortino), ''],
    ['Calmar', num(m.calmar), ''],
    ['Max drawdown', pct(m.max_drawdown), pct(b?.max_drawdown)],
    ['Max drawdown duration', `${m.max_drawdown_duration_days} days`, ''],
    ['Trades', String(m.trades), ''],
    ['Win rate', pct(m.win_rate, 1), ''],
    ['Profit factor', num(m.profit_factor), ''],
    ['Average win / loss', `${num(m.average_win)} / ${num(m.average_loss)}`, ''],
    ['Exposure (days invested)', pct(m.exposure, 1), ''],
    ['Annual turnover', num(m.annual_turnover), ''],
    ['Final equity', num(m.final_equity), ''],
  ];
  return `<table id="metrics" class="metrics"><tr><th></th><th>Strategy</th><th>${esc(b?.symbol ?? 'Benchmark')}</th></tr>${rows
    .map(([k, v, w]) => `<tr><td>${k}</td><td>${v}</td><td>${w}</td></tr>`)
    .join('')}</table>`;
}

function tradesTable(result: BacktestResult): string {
  const shown = result.trades.slice(0, 500);
  if (shown.length === 0) return '<p class="empty">No trades.</p>';
  const rows = shown
    .map(
      (t) =>
        `<tr class="${t.pnl >= 0 ? 'win' : 'loss'}"><td>${esc(t.symbol)}</td><td>${t.side}</td><td>${t.entry_time.slice(0, 10)}</td><td>${t.open ? 'open' : t.exit_time.slice(0, 10)}</td><td>${num(t.qty, 0)}</td><td>${num(t.entry_price)}</td><td>${num(t.exit_price)}</td><td>${num(t.pnl)}</td><td>${pct(t.return_pct)}</td><td>${t.bars}</td></tr>`,
    )
    .join('');
  const more =
    result.trades.length > shown.length
      ? `<p class="note">First ${shown.length} of ${result.trades.length} trades (the JSON result has them all).</p>`
      : '';
  return `<table id="trades" class="trades"><tr><th>Symbol</th><th>Side</th><th>Entry</th><th>Exit</th><th>Qty</th><th>Entry price</th><th>Exit price</th><th>P&amp;L</th><th>Return</th><th>Bars</th></tr>${rows}</table>${more}`;
}

function walkForwardPanel(wf: WalkForwardResult): string {
  const rows = wf.windows
    .map(
      (w, i) =>
        `<tr><td>${i + 1}</td><td>${w.train.from} → ${w.train.to}</td><td>${w.test.from} → ${w.test.to}</td><td>${esc(
          Object.entries(w.params)
            .map(([k, v]) => `${k}=${v}`)
            .join(', '),
        )}</td><td>${num(w.in_sample.objective)}</td><td>${pct(w.out_of_sample.total_return)}</td><td>${num(w.out_of_sample.sharpe)}</td><td>${pct(w.out_of_sample.max_drawdown)}</td></tr>`,
    )
    .join('');
  const o = wf.out_of_sample;
  return `<section id="walk-forward"><h2>Walk-forward</h2><p>${wf.combinations} parameter sets per window, chosen by in-sample ${esc(wf.objective)}. Out of sample, chained: total ${pct(o.total_return)}, annual ${pct(o.annual_return)}, Sharpe ${num(o.sharpe)}, max drawdown ${pct(o.max_drawdown)} over ${o.days} days.</p><table class="trades"><tr><th>#</th><th>In sample</th><th>Out of sample</th><th>Chosen</th><th>In-sample ${esc(wf.objective)}</th><th>OOS return</th><th>OOS Sharpe</th><th>OOS max DD</th></tr>${rows}</table></section>`;
}

function monteCarloPanel(mc: MonteCarloResult): string {
  const row = (
    label: string,
    p: MonteCarloResult['final_equity'] | null,
    f: (x: number) => string,
  ): string =>
    p === null
      ? ''
      : `<tr><td>${label}</td><td>${f(p.p5)}</td><td>${f(p.p25)}</td><td>${f(p.p50)}</td><td>${f(p.p75)}</td><td>${f(p.p95)}</td></tr>`;
  const fe = mc.final_equity;
  const lo = fe.p5;
  const hi = Math.max(fe.p95, lo + 1);
  const bar = (v: number, k: number, label: string): string => {
    const x = 80 + ((v - lo) / (hi - lo)) * 760;
    return `<circle cx="${x.toFixed(1)}" cy="40" r="6" fill="#2563eb"/><text class="axis" x="${x.toFixed(1)}" y="${k % 2 === 0 ? 22 : 66}" text-anchor="middle">${label} ${num(v, 0)}</text>`;
  };
  const strip = `<svg id="monte-carlo-chart" class="chart" viewBox="0 0 ${W} 80"><line x1="80" x2="840" y1="40" y2="40" stroke="#94a3b8" stroke-width="4"/>${[
    fe.p5,
    fe.p25,
    fe.p50,
    fe.p75,
    fe.p95,
  ]
    .map((v, k) => bar(v, k, ['p5', 'p25', 'p50', 'p75', 'p95'][k] ?? ''))
    .join('')}</svg>`;
  return `<section id="monte-carlo"><h2>Monte Carlo</h2><p>${mc.paths} bootstrap paths of the ${mc.method === 'returns' ? 'daily returns' : 'trades'} (${mc.length} each, seed ${mc.seed}). Probability of a loss: ${pct(mc.probability_of_loss, 1)}.</p>${strip}<table class="metrics"><tr><th></th><th>p5</th><th>p25</th><th>p50</th><th>p75</th><th>p95</th></tr>${row('Final equity', mc.final_equity, (x) => num(x, 0))}${row('Max drawdown', mc.max_drawdown, (x) => pct(x))}${row('Sharpe', mc.sharpe, (x) => num(x))}</table></section>`;
}

const STYLE = `body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1000px;color:#0f172a;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.sub{color:#475569;margin:0 0 16px}
.chart{width:100%;height:auto;background:#f8fafc;border:1px solid #e2e8f0;border-radius:6px}
.grid{stroke:#e2e8f0}.axis{font-size:11px;fill:#64748b}.legend{font-size:12px;fill:#334155}.cursor{stroke:#94a3b8;stroke-dasharray:3 3}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}td,th{padding:4px 8px;border-bottom:1px solid #e2e8f0;text-align:right}
td:first-child,th:first-child{text-align:left}.metrics{max-width:560px}.heatmap td.cell{text-align:center;min-width:44px}
.trades tr.win td:nth-child(8){color:#15803d}.trades tr.loss td:nth-child(8){color:#b91c1c}.note,.empty{color:#64748b;font-size:12px}
.tip{position:absolute;display:none;background:#0f172a;color:#fff;font-size:12px;padding:4px 8px;border-radius:4px;pointer-events:none}`;

/** Hover read-out on the line charts: nearest point's date and values. */
const SCRIPT = `for(const svg of document.querySelectorAll('svg[data-points]')){const d=JSON.parse(svg.dataset.points);const tip=document.getElementById(svg.id+'-tip');const cur=svg.querySelector('.cursor');
svg.addEventListener('mousemove',e=>{const r=svg.getBoundingClientRect();const vx=(e.clientX-r.left)*${W}/r.width;const i=Math.max(0,Math.min(d.dates.length-1,Math.round((vx-${PAD.left})/(${W - PAD.left - PAD.right})*(d.dates.length-1))));
cur.setAttribute('x1',vx);cur.setAttribute('x2',vx);cur.setAttribute('visibility','visible');tip.style.display='block';tip.style.left=(e.pageX+12)+'px';tip.style.top=(e.pageY+12)+'px';
tip.textContent=d.dates[i]+'  '+d.lines.map(l=>l.label+': '+(l.values[i]===null?'—':Number(l.values[i]).toLocaleString('en-US',{maximumFractionDigits:4}))).join('  ');});
svg.addEventListener('mouseleave',()=>{tip.style.display='none';cur.setAttribute('visibility','hidden');});}`;

/** The report as one HTML document. */
export function renderReport(result: BacktestResult): string {
  const dates = result.equity_curve.map((p) => p.date);
  const equity = lineChart(
    'equity-chart',
    dates,
    [
      {
        values: result.equity_curve.map((p) => p.equity),
        color: '#2563eb',
        label: result.strategy.name,
      },
      ...(result.benchmark === null
        ? []
        : [
            {
              values: result.equity_curve.map((p) => p.benchmark),
              color: '#f97316',
              label: `${result.benchmark.symbol} buy & hold`,
            },
          ]),
    ],
    (v) => v.toLocaleString('en-US', { maximumFractionDigits: 0 }),
  );
  const drawdown = lineChart(
    'drawdown-chart',
    dates,
    [
      {
        values: result.equity_curve.map((p) => p.drawdown),
        color: '#dc2626',
        label: 'Drawdown',
        fill: true,
      },
    ],
    (v) => `${(v * 100).toFixed(0)} %`,
  );
  const params = Object.entries(result.strategy.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  const s = result.settings;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Backtest: ${esc(result.strategy.name)} on ${esc(result.symbols.join(', '))}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(result.strategy.name)}${params === '' ? '' : ` (${esc(params)})`} on ${esc(result.symbols.join(', '))}</h1>
<p class="sub">${result.from} → ${result.to}, ${result.timeframe} bars (${esc(result.data_source)} data), cash ${esc(s.cash)}, commission ${esc(s.commission)}, slippage ${s.slippage_bps} bps, spread ${s.spread_bps} bps, fills at ${s.fill_at === 'open' ? 'the next bar’s open' : 'the bar’s close'}${s.fractional ? ', fractional shares' : ''}. Every order went through the paper-trading account decider. Simulated results; not investment advice.</p>
<h2>Equity</h2>${equity}
<h2>Drawdown</h2>${drawdown}
<h2>Metrics</h2>${metricsTable(result)}
<h2>Monthly returns</h2>${heatmap(result)}
${result.walk_forward === undefined ? '' : walkForwardPanel(result.walk_forward as WalkForwardResult)}
${result.monte_carlo === undefined ? '' : monteCarloPanel(result.monte_carlo as MonteCarloResult)}
<h2>Trades</h2>${tradesTable(result)}
<script>${SCRIPT}</script>
</body></html>
`;
}
