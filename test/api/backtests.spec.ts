import { expect } from 'chai';
import { call, newUser, problem, type TestUser } from '../support/api-client.ts';
import { startApiServer, type ApiServer } from '../support/api.ts';

interface Job {
  id: string;
  status: string;
  metrics: Record<string, unknown> | null;
  result: { equity_curve: unknown[]; trades: unknown[] } | null;
  report_url: string | null;
  progress: { done: number; total: number } | null;
}

describe('api: /api/v1/backtests', function () {
  this.timeout(180_000);
  let server: ApiServer;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    server = await startApiServer();
    alice = await newUser(server, ['trader'], 'alice');
    bob = await newUser(server, ['trader'], 'bob');
  });
  after(async () => {
    await server.close();
  });

  async function until(id: string, token: string, done: (job: Job) => boolean): Promise<Job> {
    for (let i = 0; i < 600; i++) {
      const res = await call<Job>(server, 'GET', `/backtests/${id}`, { token });
      if (done(res.body)) return res.body;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the backtest did not finish');
  }

  it('runs a job off the request thread: 202, then completed with metrics, the result and the HTML report', async () => {
    const started = await call<Job>(server, 'POST', '/backtests', {
      token: alice.token,
      body: {
        strategy: 'sma_crossover',
        symbols: ['AAPL'],
        from: '2022-01-03',
        to: '2023-12-29',
        data: 'generated',
        monte_carlo: { paths: 100 },
      },
    });
    expect(started.status).to.equal(202);
    expect(started.body.status).to.equal('queued');
    expect(started.headers.get('location')).to.equal(`/api/v1/backtests/${started.body.id}`);
    const job = await until(
      started.body.id,
      alice.token,
      (j) => j.status === 'completed' || j.status === 'failed',
    );
    expect(job.status).to.equal('completed');
    expect(job.metrics).to.include.keys('total_return', 'sharpe', 'max_drawdown', 'trades');
    expect(job.result?.equity_curve.length).to.be.greaterThan(400);
    const report = await fetch(`${server.origin}${job.report_url ?? ''}`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(report.headers.get('content-type')).to.match(/^text\/html/);
    expect(await report.text()).to.contain('id="equity-chart"');
    // The job is recorded in its backtest-{id} stream.
    const events = await server.composition.parts.eventStore.readStream(`backtest-${job.id}`);
    expect(events.map((e) => e.type)).to.include.members([
      'BacktestRequested',
      'BacktestCompleted',
    ]);
  });

  it('is private to its owner', async () => {
    const started = await call<Job>(server, 'POST', '/backtests', {
      token: alice.token,
      body: {
        strategy: 'buy_and_hold',
        symbols: ['SPY'],
        from: '2023-01-03',
        to: '2023-03-31',
        data: 'generated',
      },
    });
    problem(
      await call(server, 'GET', `/backtests/${started.body.id}`, { token: bob.token }),
      404,
      'backtest_not_found',
    );
    problem(
      await call(server, 'GET', '/backtests/not-an-id', { token: alice.token }),
      404,
      'backtest_not_found',
    );
  });

  it('can be canceled', async () => {
    const started = await call<Job>(server, 'POST', '/backtests', {
      token: alice.token,
      body: {
        strategy: 'sma_crossover',
        symbols: ['AAPL'],
        from: '2010-01-04',
        to: '2024-12-31',
        data: 'generated',
        walk_forward: {
          windows: 10,
          grid: { fast: [5, 10, 15, 20, 25], slow: [50, 60, 70, 80, 90, 100] },
        },
      },
    });
    const canceled = await call<Job>(server, 'DELETE', `/backtests/${started.body.id}`, {
      token: alice.token,
    });
    expect(canceled.status).to.equal(200);
    expect(canceled.body.status).to.equal('canceled');
    problem(
      await call(server, 'GET', `/backtests/${started.body.id}/report`, { token: alice.token }),
      409,
      'backtest_not_completed',
    );
  });

  it('answers bad requests with a problem naming the field, and records nothing', async () => {
    const before = await server.composition.parts.eventStore.headPosition();
    problem(
      await call(server, 'POST', '/backtests', {
        token: alice.token,
        body: {
          strategy: 'sma_crossover',
          symbols: ['AAPL'],
          from: '2024-01-05',
          to: '2024-01-01',
        },
      }),
      422,
      'validation_failed',
      'to',
    );
    problem(
      await call(server, 'POST', '/backtests', {
        token: alice.token,
        body: { strategy: 'nope', symbols: ['AAPL'], from: '2024-01-02', to: '2024-03-01' },
      }),
      422,
      'invalid_strategy',
      'strategy',
    );
    problem(
      await call(server, 'POST', '/backtests', {
        token: alice.token,
        body: {
          strategy: 'sma_crossover',
          params: { fast: 'x' },
          symbols: ['AAPL'],
          from: '2024-01-02',
          to: '2024-03-01',
        },
      }),
      422,
      'invalid_strategy',
      'params.fast',
    );
    problem(
      await call(server, 'POST', '/backtests', {
        token: alice.token,
        body: { strategy: './evil.ts', symbols: ['AAPL'], from: '2024-01-02', to: '2024-03-01' },
      }),
      422,
      'invalid_strategy',
      'strategy',
    );
    problem(
      await call(server, 'POST', '/backtests', {
        token: alice.token,
        body: {
          strategy: 'sma_crossover',
          symbols: ['ZZZZ'],
          from: '2024-01-02',
          to: '2024-03-01',
          data: 'stored',
        },
      }),
      422,
      'no_data',
      'symbols',
    );
    expect(await server.composition.parts.eventStore.headPosition()).to.equal(before);
  });
});
