import { expect } from 'chai';
import { Readable } from 'node:stream';
import { importCsv, type BarRow, type BarStore } from '../../src/history/index.ts';

const day = (date: string): number => Date.parse(`${date}T05:00:00Z`);

function row(
  symbol: string,
  date: string,
  close: string,
  timeframe: '1Day' | '1Min' = '1Day',
): BarRow {
  return {
    symbol,
    timeframe,
    time: day(date),
    open: close,
    high: close,
    low: close,
    close,
    volume: 100,
    vwap: null,
    tradeCount: null,
  };
}

/** The behaviour every BarStore adapter must have. */
export function barStoreContract(
  open: () => Promise<{ store: BarStore; dispose: () => Promise<void> }>,
): void {
  let store: BarStore;
  let dispose: () => Promise<void>;

  beforeEach(async () => {
    ({ store, dispose } = await open());
    await store.migrate();
    await store.migrate(); // idempotent
  });
  afterEach(async () => {
    await dispose();
  });

  it('writes atomically, keeps exact prices and lists the series', async () => {
    const w = await store.writer();
    await w.write([row('AAA', '2024-01-02', '10.25'), row('AAA', '2024-01-03', '10.5')]);
    await w.write([row('BBB', '2024-01-02', '0.1234')]);
    const summary = await w.commit('import');
    expect(summary).to.deep.include({ inserted: 3, replaced: 0 });
    expect(summary.series.map((s) => [s.symbol, s.timeframe, s.count, s.source])).to.deep.equal([
      ['AAA', '1Day', 2, 'import'],
      ['BBB', '1Day', 1, 'import'],
    ]);
    const bars = await store.bars('AAA', '1Day', { limit: 10 });
    expect(bars.map((b) => [b.time, b.close])).to.deep.equal([
      ['2024-01-02T05:00:00.000Z', '10.25'],
      ['2024-01-03T05:00:00.000Z', '10.5'],
    ]);
    expect((await store.bars('BBB', '1Day', { limit: 10 }))[0]?.close).to.equal('0.1234');
    expect((await store.series()).map((s) => s.symbol)).to.deep.equal(['AAA', 'BBB']);
    expect(await store.series({ symbol: 'BBB' })).to.have.length(1);
  });

  it('is idempotent on re-import: the same key replaces, later rows of one write win', async () => {
    let w = await store.writer();
    await w.write([row('AAA', '2024-01-02', '10'), row('AAA', '2024-01-03', '11')]);
    await w.commit('import');
    w = await store.writer();
    await w.write([
      row('AAA', '2024-01-03', '12'),
      row('AAA', '2024-01-03', '13'),
      row('AAA', '2024-01-04', '14'),
    ]);
    const summary = await w.commit('generated');
    expect(summary).to.deep.include({ inserted: 1, replaced: 1 });
    const bars = await store.bars('AAA', '1Day', { limit: 10 });
    expect(bars.map((b) => b.close)).to.deep.equal(['10', '13', '14']);
    const [info] = await store.series({ symbol: 'AAA' });
    expect(info).to.deep.include({ count: 3, source: 'generated' });
    expect(info?.first.toISOString()).to.equal('2024-01-02T05:00:00.000Z');
    expect(info?.last.toISOString()).to.equal('2024-01-04T05:00:00.000Z');
  });

  it('extends a stored series on both sides and fills its gaps, and counts what it did', async () => {
    let w = await store.writer();
    await w.write([row('AAA', '2024-01-03', '10'), row('AAA', '2024-01-05', '11')]);
    await w.commit('import');
    w = await store.writer();
    // Before the stored range, a gap inside it, a stored key, after it; then out of order
    // (a repeat of a row written earlier in this write: the later row wins).
    await w.write([
      row('AAA', '2024-01-02', '1'),
      row('AAA', '2024-01-04', '2'),
      row('AAA', '2024-01-05', '3'),
      row('AAA', '2024-01-08', '4'),
    ]);
    await w.write([row('AAA', '2024-01-09', '5'), row('AAA', '2024-01-08', '6')]);
    const summary = await w.commit('import');
    expect(summary).to.deep.include({ inserted: 4, replaced: 1 });
    const bars = await store.bars('AAA', '1Day', { limit: 10 });
    expect(bars.map((b) => [b.time.slice(0, 10), b.close])).to.deep.equal([
      ['2024-01-02', '1'],
      ['2024-01-03', '10'],
      ['2024-01-04', '2'],
      ['2024-01-05', '3'],
      ['2024-01-08', '6'],
      ['2024-01-09', '5'],
    ]);
    const [info] = await store.series({ symbol: 'AAA' });
    expect(info).to.deep.include({ count: 6 });
    expect(info?.first.toISOString()).to.equal('2024-01-02T05:00:00.000Z');
    expect(info?.last.toISOString()).to.equal('2024-01-09T05:00:00.000Z');
  });

  it('appends to a stored series without touching what it holds (catalog follows)', async () => {
    let w = await store.writer();
    await w.write([row('AAA', '2024-01-02', '10'), row('BBB', '2024-01-02', '20')]);
    await w.commit('import');
    w = await store.writer();
    await w.write([row('AAA', '2024-01-03', '11'), row('CCC', '2024-01-03', '30')]);
    await w.write([row('AAA', '2024-01-04', '12')]);
    const summary = await w.commit('generated');
    expect(summary).to.deep.include({ inserted: 3, replaced: 0 });
    expect(summary.series.map((s) => [s.symbol, s.count, s.source])).to.deep.equal([
      ['AAA', 3, 'generated'],
      ['CCC', 1, 'generated'],
    ]);
    const [aaa] = await store.series({ symbol: 'AAA' });
    expect(aaa?.first.toISOString()).to.equal('2024-01-02T05:00:00.000Z');
    expect(aaa?.last.toISOString()).to.equal('2024-01-04T05:00:00.000Z');
    expect((await store.series({ symbol: 'BBB' }))[0]?.count).to.equal(1);
    expect((await store.bars('AAA', '1Day', { limit: 10 })).map((b) => b.close)).to.deep.equal([
      '10',
      '11',
      '12',
    ]);
  });

  it('leaves nothing behind when a write is aborted', async () => {
    const w = await store.writer();
    await w.write([row('AAA', '2024-01-02', '10')]);
    await w.abort();
    expect(await store.series()).to.deep.equal([]);
    expect(await store.bars('AAA', '1Day', { limit: 10 })).to.deep.equal([]);
    // The connection is usable again.
    const again = await store.writer();
    await again.write([row('AAA', '2024-01-02', '10')]);
    await again.commit('import');
    expect(await store.series()).to.have.length(1);
  });

  it('keeps every bar start it is given: before 1970, off the minute, within a day', async () => {
    const times = [
      Date.parse('1899-12-29T05:00:00Z'),
      Date.parse('1969-12-31T23:59:00Z'),
      Date.parse('2024-03-04T14:30:00Z'),
      Date.parse('2024-03-04T14:30:01.5Z'),
      Date.parse('2024-03-04T23:59:00Z'),
      Date.parse('2024-03-05T00:00:00Z'),
    ];
    const w = await store.writer();
    await w.write(times.map((time) => ({ ...row('AAA', '2024-01-02', '10', '1Min'), time })));
    expect(await w.commit('import')).to.deep.include({ inserted: times.length });
    const bars = await store.bars('AAA', '1Min', { limit: 10 });
    expect(bars.map((b) => b.time)).to.deep.equal(times.map((t) => new Date(t).toISOString()));
  });

  it('stores every price as its decimal text, scale included', async () => {
    const prices = [
      '0',
      '0.00',
      '0.5',
      '0.0001',
      '0.00001234',
      '007.50',
      '1',
      '10.00',
      '9999',
      '10000',
      '100000000',
      '12345.6789',
      '123456789012.345678901',
      '300.04',
    ];
    const w = await store.writer();
    await w.write(
      prices.map((p, i) => ({
        ...row('AAA', '2024-01-02', p),
        time: day('2024-01-02') + i * 86_400_000,
        vwap: p,
        tradeCount: i,
      })),
    );
    // Other forms: an exponent (the database reads it), a trade count beyond 2^53.
    await w.write([
      { ...row('AAA', '2024-02-01', '1.5e1'), tradeCount: 2 ** 53 + 2 },
      { ...row('AAA', '2024-02-02', '12.5'), volume: 0.125 },
    ]);
    await w.commit('import');
    const bars = await store.bars('AAA', '1Day', { limit: 100 });
    const expected = prices.map((p) => p.replace(/^0+(?=\d)/, ''));
    expect(bars.map((b) => [b.open, b.close])).to.deep.equal([
      ...expected.map((p) => [p, p]),
      ['15', '15'],
      ['12.5', '12.5'],
    ]);
    expect(bars.slice(0, prices.length).map((b) => b.vwap)).to.deep.equal(expected);
    expect(bars.slice(0, -1).map((b) => b.tradeCount)).to.deep.equal([
      ...prices.map((_, i) => i),
      2 ** 53 + 2,
    ]);
    expect(bars.at(-1)?.volume).to.equal(0.125);
  });

  it('leaves nothing behind when the database refuses a row, and the connection recovers', async () => {
    const w = await store.writer();
    await w.write([row('AAA', '2024-01-02', '10')]);
    // Rows reach the database while the write goes on (a COPY stays open on PostgreSQL), so
    // the refusal may surface on a later write or on commit; either way nothing is stored.
    const refused = await (async () => {
      try {
        await w.write([{ ...row('AAA', '2024-01-03', '10'), open: 'not a number' }]);
        await w.commit('import');
        return undefined;
      } catch (error) {
        return error;
      }
    })();
    expect(refused).to.be.instanceOf(Error);
    await w.abort().catch(() => undefined);
    expect(await store.series()).to.deep.equal([]);
    const again = await store.writer();
    await again.write([row('AAA', '2024-01-02', '10')]);
    expect(await again.commit('import')).to.deep.include({ inserted: 1 });
  });

  it('reads ranges and pages, whole series as numbers, and time windows across symbols', async () => {
    const w = await store.writer();
    const rows: BarRow[] = [];
    for (let i = 0; i < 30; i++) {
      const date = new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);
      rows.push(row('AAA', date, String(100 + i)), row('BBB', date, String(50 + i)));
    }
    await w.write(rows);
    await w.commit('import');
    const page = await store.bars('AAA', '1Day', {
      start: new Date(day('2024-01-05')),
      end: new Date(day('2024-01-10')),
      limit: 3,
    });
    expect(page.map((b) => b.close)).to.deep.equal(['104', '105', '106']);
    const series = await store.readSeries('AAA', '1Day', { start: new Date(day('2024-01-29')) });
    expect(series && [...series.close]).to.deep.equal([128, 129]);
    expect(series?.simulated).to.equal(false);
    expect(await store.readSeries('ZZZ', '1Day')).to.equal(undefined);
    const win = await store.window('1Day', {
      start: new Date(day('2024-01-02')),
      end: new Date(day('2024-01-04')),
      limit: 100,
    });
    expect(win.map((b) => `${b.symbol}@${b.time.slice(0, 10)}=${b.close}`)).to.deep.equal([
      'AAA@2024-01-02=101',
      'BBB@2024-01-02=51',
      'AAA@2024-01-03=102',
      'BBB@2024-01-03=52',
    ]);
    const only = await store.window('1Day', {
      start: new Date(day('2024-01-02')),
      end: new Date(day('2024-01-03')),
      limit: 100,
      symbols: ['BBB'],
    });
    expect(only.map((b) => b.symbol)).to.deep.equal(['BBB']);
  });

  it('imports a CSV all or nothing: a bad row writes nothing, --skip-bad writes the good rows', async () => {
    const csv =
      'Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10,x,9,10.5,100\n';
    const refused = await importCsv(store, Readable.from([csv]), { symbol: 'AAA' });
    expect(refused).to.deep.include({ written: false, badRows: 1, goodRows: 1 });
    expect(await store.series()).to.deep.equal([]);
    const skipped = await importCsv(store, Readable.from([csv]), { symbol: 'AAA', skipBad: true });
    expect(skipped).to.deep.include({ written: true, inserted: 1, replaced: 0 });
    const again = await importCsv(store, Readable.from([csv]), { symbol: 'AAA', skipBad: true });
    expect(again).to.deep.include({ written: true, inserted: 0, replaced: 1 });
    expect((await store.series())[0]?.count).to.equal(1);
  });

  it('streams a large import through the stage in chunks', async () => {
    const lines = ['timestamp,open,high,low,close,volume'];
    const start = Date.parse('2024-03-04T14:30:00Z');
    for (let i = 0; i < 120_000; i++) {
      lines.push(`${new Date(start + i * 60_000).toISOString()},10,11,9,10.5,${i}`);
    }
    let progress = 0;
    const summary = await importCsv(store, Readable.from([lines.join('\n')]), {
      symbol: 'AAA',
      onProgress: (n) => (progress = n),
    });
    expect(summary).to.deep.include({ written: true, inserted: 120_000, timeframe: '1Min' });
    expect(progress).to.equal(120_000);
    const series = await store.readSeries('AAA', '1Min');
    expect(series?.length).to.equal(120_000);
    expect(series?.volume[119_999]).to.equal(119_999);
    // The same file again: every row meets a stored bar, so every row stages and replaces one.
    const again = await importCsv(
      store,
      Readable.from([lines.join('\n').replaceAll(',10.5,', ',10.25,')]),
      { symbol: 'AAA' },
    );
    expect(again).to.deep.include({ written: true, inserted: 0, replaced: 120_000 });
    const replaced = await store.bars('AAA', '1Min', { start: new Date(start), limit: 2 });
    expect(replaced.map((b) => [b.close, b.volume])).to.deep.equal([
      ['10.25', 0],
      ['10.25', 1],
    ]);
    expect((await store.series({ symbol: 'AAA' }))[0]?.count).to.equal(120_000);
  });
}
