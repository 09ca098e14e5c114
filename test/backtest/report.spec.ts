import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { executeBacktest } from '../../src/backtest/execute.ts';
import { renderReport } from '../../src/backtest/report.ts';
import { BacktestRequestSchema } from '../../src/backtest/request.ts';

const CHROMIUM = '/usr/bin/chromium';

describe('backtest: the HTML report', function () {
  this.timeout(120_000);
  let dir: string;
  let html: string;

  before(async () => {
    const request = BacktestRequestSchema.parse({
      strategy: 'sma_crossover',
      symbols: ['AAPL'],
      from: '2021-01-04',
      to: '2023-12-29',
      data: 'generated',
      monte_carlo: { paths: 200 },
      walk_forward: { windows: 2, grid: { fast: [10, 20], slow: [50] } },
    });
    html = renderReport(await executeBacktest(request, {}, { workers: 1 }));
    dir = mkdtempSync(path.join(os.tmpdir(), 'report-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is self-contained: no external script, stylesheet, image or font', () => {
    expect(html).to.match(/^<!doctype html>/);
    expect(html).not.to.match(/<script[^>]+src=/i);
    expect(html).not.to.match(/<link[^>]+href=/i);
    expect(html).not.to.match(/https?:\/\//);
    for (const id of [
      'equity-chart',
      'drawdown-chart',
      'heatmap',
      'metrics',
      'trades',
      'walk-forward',
      'monte-carlo',
    ]) {
      expect(html).to.include(`id="${id}"`);
    }
  });

  it('renders its charts in headless Chromium', async function () {
    if (!existsSync(CHROMIUM)) this.skip();
    const { chromium } = await import('playwright-core');
    const file = path.join(dir, 'report.html');
    writeFileSync(file, html);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox'],
      headless: true,
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`file://${file}`);
      // Two lines on the equity chart (strategy, benchmark) with real extent, a filled drawdown.
      const equity = await page
        .locator('#equity-chart path.series')
        .evaluateAll((paths) =>
          paths.map((p) => (p as unknown as { getBBox(): { width: number } }).getBBox().width),
        );
      expect(equity).to.have.length(2);
      for (const w of equity) expect(w).to.be.greaterThan(500);
      expect(await page.locator('#drawdown-chart path.series').count()).to.equal(1);
      expect(await page.locator('#heatmap td.cell').count()).to.be.greaterThan(30);
      expect(await page.locator('#trades tr').count()).to.be.greaterThan(1);
      // The hover read-out works (inline script).
      const box = await page.locator('#equity-chart').boundingBox();
      if (box === null) throw new Error('the equity chart has no box');
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      expect(await page.locator('#equity-chart-tip').textContent()).to.match(/\d{4}-\d{2}-\d{2}/);
      const png = await page.screenshot({ fullPage: true });
      expect(png.length).to.be.greaterThan(50_000);
      expect(errors).to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });
});
