import { expect } from 'chai';
import fc from 'fast-check';
import {
  computeIndicators,
  createIndicator,
  IndicatorSpecError,
  parseIndicatorList,
  parseIndicatorSpec,
  toOhlcv,
  type IndicatorValue,
  type OhlcvBar,
} from '../../src/analysis/indicators.ts';

/**
 * Wilder's RSI worked example from StockCharts ChartSchool, "Relative Strength Index (RSI)"
 * (https://chartschool.stockcharts.com/table-of-contents/technical-indicators-and-overlays/
 * technical-indicators/relative-strength-index-rsi): 14-day RSI of these closes, first value on
 * the 15th close. StockCharts rounds the first average gain/loss to 0.24/0.10 and prints
 * 70.53, 66.32, 66.55, 69.41, 66.36, 57.97; unrounded (0.2386/0.1000) the same method gives the
 * values below, each within 0.08 of theirs.
 */
const STOCKCHARTS_CLOSES = [
  44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.1, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61, 46.28,
  46.28, 46.0, 46.03, 46.41, 46.22, 45.64,
];
const STOCKCHARTS_RSI = [70.53, 66.32, 66.55, 69.41, 66.36, 57.97];

function bar(close: number, spread = 0.5, volume = 1000): OhlcvBar {
  return { open: close, high: close + spread, low: close - spread, close, volume };
}

function numbers(values: readonly (IndicatorValue | null)[]): (number | null)[] {
  return values.map((v) => {
    if (v === null) return null;
    if (typeof v !== 'number') throw new Error('expected a single-output indicator');
    return v;
  });
}

function field(values: readonly (IndicatorValue | null)[], name: string): (number | null)[] {
  return values.map((v) => {
    if (v === null) return null;
    if (typeof v === 'number') throw new Error('expected a multi-output indicator');
    const x = v[name];
    if (x === undefined) throw new Error(`no output ${name}`);
    return x;
  });
}

// Independent reference implementations (textbook definitions), to check the library's use.
function refSma(xs: readonly number[], n: number): (number | null)[] {
  return xs.map((_, i) =>
    i + 1 < n ? null : xs.slice(i + 1 - n, i + 1).reduce((a, b) => a + b, 0) / n,
  );
}
function refEma(xs: readonly number[], n: number): number[] {
  const k = 2 / (n + 1);
  const out: number[] = [];
  xs.forEach((x, i) => out.push(i === 0 ? x : x * k + (out[i - 1] ?? x) * (1 - k)));
  return out;
}
function refWilderRsi(xs: readonly number[], n: number): (number | null)[] {
  const out: (number | null)[] = xs.map(() => null);
  let gain = 0;
  let loss = 0;
  for (let i = 1; i < xs.length; i++) {
    const change = (xs[i] ?? 0) - (xs[i - 1] ?? 0);
    const g = Math.max(change, 0);
    const l = Math.max(-change, 0);
    if (i <= n) {
      gain += g / n;
      loss += l / n;
    } else {
      gain = (gain * (n - 1) + g) / n;
      loss = (loss * (n - 1) + l) / n;
    }
    if (i >= n) out[i] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
  }
  return out;
}

function close(a: number | null, b: number | null, eps = 1e-9): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= eps * Math.max(1, Math.abs(b));
}

describe('technical indicators (trading-signals)', () => {
  describe('specs', () => {
    it('parse names, parameters and defaults into a canonical key', () => {
      expect(parseIndicatorSpec('RSI').key).to.equal('rsi:14');
      expect(parseIndicatorSpec('macd:12:26:9')).to.deep.include({
        name: 'macd',
        params: [12, 26, 9],
      });
      expect(parseIndicatorSpec('bbands:20:2.5').params).to.deep.equal([20, 2.5]);
      expect(parseIndicatorSpec('obv').key).to.equal('obv');
      expect(parseIndicatorList('rsi:14, rsi ,sma:50').map((s) => s.key)).to.deep.equal([
        'rsi:14',
        'sma:50',
      ]);
    });

    it('refuse unknown names, bad or too many parameters, with a message saying why', () => {
      const bad: [string, RegExp][] = [
        ['foo:3', /Unknown indicator "foo"; use one of sma, ema/],
        ['rsi:0', /rsi period must be a whole number between 1 and 1000 \(got "0"\)/],
        ['rsi:2.5', /whole number/],
        ['sma:abc', /got "abc"/],
        ['sma:5000', /between 1 and 1000/],
        ['rsi:14:3', /at most 1 parameters \(period\)/],
        ['obv:3', /obv takes no parameters/],
        ['macd:26:12:9', /fast period must be shorter/],
      ];
      for (const [text, message] of bad) {
        expect(() => parseIndicatorSpec(text), text)
          .to.throw(IndicatorSpecError)
          .with.property('message')
          .that.matches(message);
      }
      expect(() => parseIndicatorList(' , ')).to.throw(IndicatorSpecError, /at least one/);
    });
  });

  it('RSI(14) reproduces the StockCharts worked example (Wilder smoothing)', () => {
    const [rsi] = computeIndicators(
      STOCKCHARTS_CLOSES.map((c) => bar(c)),
      [parseIndicatorSpec('rsi:14')],
    );
    if (!rsi) throw new Error('no result');
    const values = numbers(rsi.values);
    expect(values.slice(0, 14).every((v) => v === null)).to.equal(true);
    expect(rsi.warmup).to.equal(14);
    const got = values.slice(14).map((v) => v ?? Number.NaN);
    got.forEach((v, i) => {
      expect(v).to.be.closeTo(STOCKCHARTS_RSI[i] ?? Number.NaN, 0.08);
    });
    expect(got[0]).to.be.closeTo(70.464, 0.001); // 100 − 100 / (1 + 0.238571 / 0.1)
    expect(values.map((v) => v)).to.satisfy((vs: (number | null)[]) =>
      vs.every((v, i) => close(v, refWilderRsi(STOCKCHARTS_CLOSES, 14)[i] ?? null)),
    );
  });

  it('SMA, EMA, WMA, Bollinger Bands and MACD agree with their textbook definitions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 1000, noNaN: true }), { minLength: 40, maxLength: 120 }),
        fc.integer({ min: 2, max: 20 }),
        (closes, n) => {
          const bars = closes.map((c) => bar(c));
          const [sma, ema, wma, bb, macd] = computeIndicators(
            bars,
            parseIndicatorList(`sma:${n},ema:${n},wma:${n},bbands:${n}:2,macd:3:${n + 3}:4`),
          );
          if (!sma || !ema || !wma || !bb || !macd) return false;
          const refS = refSma(closes, n);
          const smaOk = numbers(sma.values).every((v, i) => close(v, refS[i] ?? null, 1e-7));
          // trading-signals seeds its EMA with the first price and reports once n prices are in.
          const refE = refEma(closes, n);
          const emaOk = numbers(ema.values).every((v, i) =>
            i + 1 < n ? v === null : close(v, refE[i] ?? null, 1e-7),
          );
          const weights = Array.from({ length: n }, (_, j) => j + 1);
          const wsum = (n * (n + 1)) / 2;
          const wmaOk = numbers(wma.values).every((v, i) => {
            if (i + 1 < n) return v === null;
            const window = closes.slice(i + 1 - n, i + 1);
            const ref = window.reduce((a, x, j) => a + x * (weights[j] ?? 0), 0) / wsum;
            return close(v, ref, 1e-7);
          });
          const bbOk = bb.values.every((v, i) => {
            if (i + 1 < n) return v === null;
            const window = closes.slice(i + 1 - n, i + 1);
            const mean = window.reduce((a, x) => a + x, 0) / n;
            const sd = Math.sqrt(window.reduce((a, x) => a + (x - mean) ** 2, 0) / n);
            const [upper, middle, lower] = ['upper', 'middle', 'lower'].map(
              (k) => field([v], k)[0] ?? Number.NaN,
            );
            return (
              close(middle ?? null, mean, 1e-7) &&
              close(upper ?? null, mean + 2 * sd, 1e-6) &&
              close(lower ?? null, mean - 2 * sd, 1e-6)
            );
          });
          const fast = refEma(closes, 3);
          const slow = refEma(closes, n + 3);
          const macdOk = field(macd.values, 'macd').every(
            (v, i) =>
              v === null || close(v, (fast[i] ?? 0) - (slow[i] ?? 0), 1e-6 * (closes[i] ?? 1)),
          );
          const histOk = macd.values.every((v) => {
            if (v === null || typeof v === 'number') return v === null;
            return close(v.histogram ?? null, (v.macd ?? 0) - (v.signal ?? 0), 1e-9);
          });
          return smaOk && emaOk && wmaOk && bbOk && macdOk && histOk;
        },
      ),
      { numRuns: 60 },
    );
  });

  it('ATR, Stochastic, ADX, OBV and VWAP on a hand-checked series', () => {
    // Rising closes 10, 11, 12, 13, 14 with ranges of 2 and volumes 100…500.
    const bars: OhlcvBar[] = [10, 11, 12, 13, 14].map((c, i) => ({
      open: c,
      high: c + 1,
      low: c - 1,
      close: c,
      volume: 100 * (i + 1),
    }));
    const [atr, stoch, obv, vwap, adx] = computeIndicators(
      bars,
      parseIndicatorList('atr:2,stoch:3:1:1,obv,vwap,adx:2'),
    );
    if (!atr || !stoch || !obv || !vwap || !adx) throw new Error('no result');
    // True range is 2 on every bar (each bar's range; no gap beyond the prior close ± 1).
    expect(numbers(atr.values).filter((v) => v !== null)).to.satisfy((vs: number[]) =>
      vs.every((v) => Math.abs(v - 2) < 1e-12),
    );
    // %K over 3 bars: close at the top of the window's range minus 1 → (c − (c−3)) / 4 = 75 %.
    expect(field(stoch.values, 'k').slice(2)).to.deep.equal([75, 75, 75]);
    expect(numbers(obv.values)).to.deep.equal([0, 200, 500, 900, 1400]);
    // Cumulative typical price × volume / volume: (10·100 + 11·200 + … + 14·500) / 1500.
    expect(numbers(vwap.values).at(-1)).to.be.closeTo(19000 / 1500, 1e-12);
    // A steady rise: +DM every bar, no −DM → −DI 0 and ADX 100.
    const last = adx.values.at(-1);
    expect(last).to.deep.include({ minus_di: 0, adx: 100 });
    expect(field([last ?? null], 'plus_di')[0]).to.be.greaterThan(0);
  });

  it('streams bar by bar exactly what the whole-series form computes', () => {
    const bars = STOCKCHARTS_CLOSES.map((c, i) => bar(c, 0.3 + (i % 3) * 0.1, 1000 + i));
    const specs = parseIndicatorList('rsi:5,macd:3:6:2,bbands:4:2,stoch:4:2:2,adx:3,obv,vwap');
    const series = computeIndicators(bars, specs);
    specs.forEach((spec, k) => {
      const stream = createIndicator(spec);
      expect(bars.map((b) => stream.update(b))).to.deep.equal(series[k]?.values);
    });
  });

  it('reads the market port bars (decimal strings)', () => {
    const portBar = {
      open: '1.5',
      high: '2',
      low: '1.25',
      close: '1.75',
      volume: 300,
      vwap: '1.6',
    };
    expect(toOhlcv(portBar)).to.deep.equal({
      open: 1.5,
      high: 2,
      low: 1.25,
      close: 1.75,
      volume: 300,
    });
  });
});
