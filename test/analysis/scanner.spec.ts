import { expect } from 'chai';
import { splitAdjusted, alignCloses } from '../../src/analysis/history.ts';
import { dailyFigures, scan, type ScanSnapshot } from '../../src/analysis/scanner.ts';

function snap(symbol: string, overrides: Partial<ScanSnapshot> = {}): ScanSnapshot {
  return {
    symbol,
    name: `${symbol} Inc.`,
    sector: 'Information Technology',
    price: 100,
    previousClose: 100,
    open: 100,
    volume: 1_000_000,
    averageVolume: 2_000_000,
    sessionElapsed: 0.5,
    rsi14: 50,
    sma20: 99,
    sma50: 95,
    sma200: 90,
    lastCross: null,
    high52w: 110,
    low52w: 80,
    ...overrides,
  };
}

const universe: ScanSnapshot[] = [
  snap('UP', { price: 105, open: 102, volume: 3_000_000, rsi14: 72 }),
  snap('DOWN', {
    price: 94,
    open: 97,
    rsi14: 25,
    sector: 'Energy',
    lastCross: { kind: 'death', sessionsAgo: 3 },
  }),
  snap('FLAT', { lastCross: { kind: 'golden', sessionsAgo: 12 } }),
  snap('NEW', {
    previousClose: null,
    open: null,
    averageVolume: null,
    rsi14: null,
    sma200: null,
    high52w: null,
    low52w: null,
  }),
  snap('TOP', { price: 109.5, high52w: 110, lastCross: { kind: 'golden', sessionsAgo: 2 } }),
];

describe('analysis/scanner', () => {
  it('computes change, gap, relative volume and 52-week distances', () => {
    const { hits } = scan(universe, { sort: 'symbol' });
    const up = hits.find((h) => h.symbol === 'UP');
    expect(up).to.deep.include({ changePercent: 5, gapPercent: 2 });
    // 3,000,000 today vs 2,000,000 × 0.5 expected by mid-session.
    expect(up?.relativeVolume).to.equal(3);
    expect(up?.distanceToHighPercent).to.be.closeTo((100 * 5) / 110, 1e-12);
    expect(up?.distanceToLowPercent).to.be.closeTo(31.25, 1e-12);
    expect(hits.find((h) => h.symbol === 'NEW')).to.deep.include({
      changePercent: null,
      relativeVolume: null,
    });
    expect(hits[0]?.reasons).to.deep.equal(['no criteria given: every listed symbol matches']);
  });

  it('keeps only symbols meeting every criterion, and says why', () => {
    const gainers = scan(universe, { minChangePercent: 2, minRelativeVolume: 2, rsiAbove: 70 });
    expect(gainers.hits.map((h) => h.symbol)).to.deep.equal(['UP']);
    expect(gainers.hits[0]?.reasons).to.deep.equal([
      'relative volume 3.00× ≥ 2.00×',
      'change +5.00% ≥ +2.00%',
      'RSI(14) 72.0 > 70',
    ]);
    expect(scan(universe, { rsiBelow: 30 }).hits.map((h) => h.symbol)).to.deep.equal(['DOWN']);
    expect(scan(universe, { maxGapPercent: -1 }).hits.map((h) => h.symbol)).to.deep.equal(['DOWN']);
    expect(scan(universe, { maCross: 'golden' }).hits.map((h) => h.symbol)).to.deep.equal(['TOP']);
    expect(
      scan(universe, { maCross: 'golden', crossWithinDays: 20, sort: 'symbol' }).hits.map(
        (h) => h.symbol,
      ),
    ).to.deep.equal(['FLAT', 'TOP']);
    expect(scan(universe, { within52wHighPercent: 1 }).hits.map((h) => h.symbol)).to.deep.equal([
      'TOP',
    ]);
    expect(scan(universe, { sectors: ['energy'] }).hits.map((h) => h.symbol)).to.deep.equal([
      'DOWN',
    ]);
    expect(scan(universe, { belowSma: 50 }).hits.map((h) => h.symbol)).to.deep.equal(['DOWN']);
    expect(
      scan(universe, { aboveSma: 200, maxPrice: 100, sort: 'symbol' }).hits.map((h) => h.symbol),
    ).to.deep.equal(['DOWN', 'FLAT']);
    expect(scan(universe, { minPrice: 200 })).to.deep.include({ scanned: 5, matched: 0 });
  });

  it('sorts by the key chosen (nulls last) and limits', () => {
    const byChange = scan(universe, { sort: 'change', limit: 3 });
    expect(byChange.hits.map((h) => h.symbol)).to.deep.equal(['TOP', 'UP', 'FLAT']);
    expect(byChange.matched).to.equal(5);
    const byRsi = scan(universe, { sort: 'rsi', direction: 'asc' });
    expect(byRsi.hits.map((h) => h.symbol)).to.deep.equal(['DOWN', 'FLAT', 'TOP', 'UP', 'NEW']);
    expect(scan(universe, { limit: 1000 }).hits).to.have.length(5);
  });

  it('daily figures: SMAs, RSI, the last SMA 50/200 cross, the 52-week range, average volume', () => {
    // 260 closes: falling for 200 sessions, then rising fast: SMA 50 crosses above SMA 200.
    const closes = [
      ...Array.from({ length: 200 }, (_, i) => 200 - i * 0.5),
      ...Array.from({ length: 60 }, (_, i) => 100 + i * 3),
    ];
    const bars = closes.map((c, i) => ({
      open: c,
      high: c + 1,
      low: c - 1,
      close: c,
      volume: i < 240 ? 100 : 1000,
    }));
    const f = dailyFigures(bars);
    const last = closes.slice(-50);
    expect(f.sma50).to.be.closeTo(last.reduce((a, b) => a + b, 0) / 50, 1e-9);
    expect(f.sma200).to.be.closeTo(closes.slice(-200).reduce((a, b) => a + b, 0) / 200, 1e-9);
    expect(f.lastCross?.kind).to.equal('golden');
    expect(f.lastCross?.sessionsAgo).to.be.within(1, 59);
    // 60 rising sessions after 200 falling ones: Wilder's average loss has all but decayed.
    expect(f.rsi14).to.be.within(99, 100);
    expect(f.averageVolume).to.equal(1000);
    expect(f.high52w).to.equal((closes.at(-1) ?? 0) + 1);
    expect(f.low52w).to.equal(Math.min(...closes.slice(-252)) - 1);
    expect(dailyFigures([])).to.deep.include({ previousClose: null, sma50: null, high52w: null });
  });

  it('history: split-adjusts bars before the ex-date and aligns closes on common dates', () => {
    const bars = [
      { time: '2026-03-02', open: 200, high: 202, low: 198, close: 200, volume: 10 },
      { time: '2026-03-03', open: 100, high: 101, low: 99, close: 100, volume: 20 },
    ];
    expect(splitAdjusted(bars, [{ exDate: '2026-03-03', ratio: 2 }])).to.deep.equal([
      { time: '2026-03-02', open: 100, high: 101, low: 99, close: 100, volume: 20 },
      bars[1],
    ]);
    const aligned = alignCloses({
      A: bars,
      B: [{ time: '2026-03-03T05:00:00.000Z', open: 1, high: 1, low: 1, close: 7, volume: 1 }],
    });
    expect(aligned).to.deep.equal({ dates: ['2026-03-03'], closes: { A: [100], B: [7] } });
  });
});
