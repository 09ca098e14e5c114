import { expect } from 'chai';
import { Readable } from 'node:stream';
import { CsvBarReader, CsvLayoutError, readCsvBars, type BarRow } from '../../src/history/index.ts';

async function read(text: string, options = {}) {
  const rows: BarRow[] = [];
  const summary = await readCsvBars(Readable.from([text]), options, {
    onRows: (r) => {
      rows.push(...r);
    },
  });
  return { rows, summary };
}

describe('history: CSV layouts', () => {
  it('reads a Yahoo download: daily bars at New York midnight, exact prices, the symbol from the file name', async () => {
    const { rows, summary } = await read(
      'Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,187.15,188.44,183.89,185.64,184.94,82488700\n2024-07-03,220.00,221.55,219.03,221.55,220.76,37369800\n',
      { fileSymbol: 'aapl' },
    );
    expect(summary.layout).to.equal('yahoo');
    expect(summary.timeframe).to.equal('1Day');
    expect(summary.ignoredColumns).to.deep.equal([]);
    expect(rows).to.have.length(2);
    expect(rows[0]).to.deep.include({
      symbol: 'AAPL',
      timeframe: '1Day',
      open: '187.15',
      close: '185.64',
      volume: 82488700,
      vwap: null,
    });
    // Winter: midnight EST is 05:00Z; summer: midnight EDT is 04:00Z.
    expect(new Date(rows[0]?.time ?? 0).toISOString()).to.equal('2024-01-02T05:00:00.000Z');
    expect(new Date(rows[1]?.time ?? 0).toISOString()).to.equal('2024-07-03T04:00:00.000Z');
  });

  it('adjusts a Yahoo download by Adj Close / Close when asked', async () => {
    const { rows } = await read(
      'Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,200,210,190,200,100,5\n',
      { symbol: 'X', adjust: true },
    );
    expect(rows[0]).to.deep.include({ open: '100', high: '105', low: '95', close: '100' });
  });

  it('reads Alpaca minute bars with a symbol column, vwap and trade counts (ISO times with Z)', async () => {
    const { rows, summary } = await read(
      'symbol,timestamp,open,high,low,close,volume,trade_count,vwap\nSPY,2024-03-04T14:30:00Z,512.03,512.5,511.9,512.1,120300,1520,512.2\nQQQ,2024-03-04T14:30:00Z,440.1,440.2,439.9,440,5000,60,440.05\n',
    );
    expect(summary.layout).to.equal('alpaca');
    expect(summary.timeframe).to.equal('1Min');
    expect(summary.symbols).to.deep.equal(['QQQ', 'SPY']);
    expect(rows[0]).to.deep.include({ symbol: 'SPY', vwap: '512.2', tradeCount: 1520 });
    expect(rows[0]?.time).to.equal(Date.parse('2024-03-04T14:30:00Z'));
  });

  it('reads Polygon short names with epoch-millisecond times', async () => {
    const t = Date.parse('2024-03-04T14:31:00Z');
    const { rows, summary } = await read(`t,o,h,l,c,v,vw,n\n${t},10,11,9,10.5,100,10.2,7\n`, {
      symbol: 'SOFI',
    });
    expect(summary.layout).to.equal('polygon');
    expect(rows[0]).to.deep.include({
      time: t,
      open: '10',
      high: '11',
      vwap: '10.2',
      tradeCount: 7,
    });
  });

  it('reads the Stooq layout with <TICKER>, YYYYMMDD dates and the .US suffix dropped', async () => {
    const { rows, summary } = await read(
      '<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\nAAPL.US,D,20240102,000000,187.15,188.44,183.89,185.64,82488700,0\n',
    );
    expect(summary.layout).to.equal('stooq');
    expect(summary.timeframe).to.equal('1Day');
    expect(rows[0]).to.deep.include({ symbol: 'AAPL', close: '185.64' });
    expect(new Date(rows[0]?.time ?? 0).toISOString()).to.equal('2024-01-02T05:00:00.000Z');
  });

  it('reads headers case-insensitively, local date-times as New York time and $ prices', async () => {
    const { rows } = await read(
      'DATE TIME,OPEN,HIGH,LOW,Close/Last,VOLUME\n2024-03-04 09:30,$10.00,$10.50,$9.90,$10.20,100\n',
      { symbol: 'F' },
    );
    expect(new Date(rows[0]?.time ?? 0).toISOString()).to.equal('2024-03-04T14:30:00.000Z');
    expect(rows[0]).to.deep.include({ open: '10.00', close: '10.20', timeframe: '1Min' });
  });

  it('reports every bad row with its line number and reason, and keeps the good ones', async () => {
    const { rows, summary } = await read(
      [
        'Date,Open,High,Low,Close,Volume',
        '2024-01-02,10,11,9,10.5,100',
        '2024-01-03,10,abc,9,10.5,100',
        '',
        '2024-01-04,10,9,8,9.5,100',
        '2024-13-01,10,11,9,10,100',
        '2024-01-05,10,11,9,10',
        '2024-01-05,10,11,9,10,-5',
        '2024-01-05,0,11,9,10,5',
        '2024-01-05,10,11,10.6,10.5,5',
        '2024-01-08,10,11,9,10,5',
        '2024-01-08,10,11,9,10,6',
      ].join('\n'),
      { symbol: 'X' },
    );
    expect(rows.map((r) => new Date(r.time).toISOString().slice(0, 10))).to.deep.equal([
      '2024-01-02',
      '2024-01-08',
    ]);
    expect(summary.bad).to.deep.equal([
      { line: 3, reason: 'high is not a decimal number: "abc"' },
      { line: 5, reason: 'high 9 is below open, low or close' },
      { line: 6, reason: 'date "2024-13-01" is not a calendar date' },
      { line: 7, reason: 'expected 6 fields, got 5' },
      { line: 8, reason: 'volume is not a non-negative number: "-5"' },
      { line: 9, reason: 'prices must be positive' },
      { line: 10, reason: 'low 10.6 is above open or close' },
      { line: 12, reason: 'duplicate bar: X at 2024-01-08T05:00:00.000Z again' },
    ]);
    expect(summary).to.deep.include({ rows: 10, goodRows: 2, badRows: 8 });
  });

  it('refuses a header without prices, a file without a symbol, and a bad --symbol', () => {
    expect(() => new CsvBarReader(['Date', 'Open', 'Close'], { symbol: 'X' })).to.throw(
      CsvLayoutError,
      /no high, low column/,
    );
    expect(() => new CsvBarReader(['Date', 'Open', 'High', 'Low', 'Close'])).to.throw(
      CsvLayoutError,
      /pass --symbol/,
    );
    expect(
      () => new CsvBarReader(['Date', 'Open', 'High', 'Low', 'Close'], { symbol: 'not a ticker' }),
    ).to.throw(CsvLayoutError, /not a US stock ticker/);
  });

  it('rejects minute bars off the minute, and notes unsorted files', async () => {
    const { summary } = await read(
      'timestamp,open,high,low,close\n2024-03-04T14:31:00Z,1,1,1,1\n2024-03-04T14:30:00Z,1,1,1,1\n2024-03-04T14:32:30Z,1,1,1,1\n',
      { symbol: 'X' },
    );
    expect(summary.unsorted).to.equal(true);
    expect(summary.bad).to.deep.equal([
      { line: 4, reason: '2024-03-04T14:32:30.000Z is not on a minute boundary' },
    ]);
  });

  it('reads UTC instants to the millisecond across days, and reports impossible ones', async () => {
    const stamps = [
      '2024-02-28T23:59:00Z',
      '2024-02-29T00:00:00.000Z',
      '2024-02-29T14:30:00Z',
      '2024-03-01T00:01:00.000Z',
      '2024-03-01T13:30:00Z',
      '2024-03-01T24:00:00Z',
      '2024-03-01T13:60:00Z',
      '2024-13-01T14:30:00Z',
      '2024-03-02T14:30:00.123Z',
    ];
    const { rows, summary } = await read(
      `timestamp,open,high,low,close\n${stamps.map((t) => `${t},1,1,1,1`).join('\n')}\n`,
      { symbol: 'X', timeframe: '1Min' },
    );
    // 24:00 is the next midnight, as ECMAScript reads it.
    expect(rows.map((r) => r.time)).to.deep.equal(stamps.slice(0, 6).map((t) => Date.parse(t)));
    expect(new Date(rows[5]?.time ?? 0).toISOString()).to.equal('2024-03-02T00:00:00.000Z');
    expect(summary.bad).to.deep.equal([
      { line: 8, reason: '"2024-03-01T13:60:00Z" is not a date or timestamp' },
      { line: 9, reason: '"2024-13-01T14:30:00Z" is not a date or timestamp' },
      { line: 10, reason: '2024-03-02T14:30:00.123Z is not on a minute boundary' },
    ]);
  });

  it('refuses an empty file', async () => {
    let error: unknown;
    try {
      await read('');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(CsvLayoutError);
  });
});
