/**
 * `/api/v1/backtests`: backtest jobs. `POST` validates the request, records it in a
 * `backtest-{id}` stream and runs it on a worker thread (202 at once); `GET /{id}` answers its
 * status, progress and — once completed — the result; `GET /{id}/report` the HTML report;
 * `DELETE /{id}` cancels it. A job belongs to its caller (auditors and admins read every job).
 */
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { MissingDataError } from '../../backtest/data.ts';
import { renderReport } from '../../backtest/report.ts';
import { BacktestRequestSchema } from '../../backtest/request.ts';
import {
  BacktestNotFound,
  type BacktestJob,
  type BacktestService,
} from '../../backtest/service.ts';
import { StrategyError } from '../../backtest/strategy.ts';
import type { Principal } from '../../commands/policy.ts';
import type { RouteModule } from '../app.ts';
import { principalOf, route } from '../authenticate.ts';
import { API_PREFIX, documentOperation } from '../openapi.ts';
import { ApiError } from '../problem.ts';

export interface BacktestRouteDeps {
  readonly backtests: BacktestService;
  readonly authenticated: readonly RequestHandler[];
}

const IdParams = z.object({
  id: z.string().meta({ description: 'Backtest id', example: '0b7c…' }),
});

const JobSchema = z
  .object({
    id: z.string(),
    status: z.enum(['queued', 'running', 'completed', 'failed', 'canceled']),
    progress: z
      .object({ phase: z.string(), done: z.number().int(), total: z.number().int() })
      .nullable()
      .meta({ description: 'Timeline steps done of the current phase' }),
    request: z.record(z.string(), z.unknown()),
    metrics: z.record(z.string(), z.unknown()).nullable().meta({ description: 'When completed' }),
    error: z
      .object({ code: z.string(), message: z.string(), field: z.string().nullable() })
      .nullable(),
    result: z.record(z.string(), z.unknown()).nullable().meta({
      description: 'The full result (metrics, equity_curve, trades, …) while the server keeps it',
    }),
    requested_at: z.string(),
    finished_at: z.string().nullable(),
    report_url: z.string().nullable(),
  })
  .meta({ id: 'BacktestJob' });

function body(job: BacktestJob) {
  return {
    id: job.id,
    status: job.status,
    progress: job.progress,
    request: job.request as unknown as Record<string, unknown>,
    metrics: (job.completed?.metrics ?? null) as Record<string, unknown> | null,
    error: job.error,
    result: job.result as unknown as Record<string, unknown> | null,
    requested_at: job.requestedAt,
    finished_at: job.finishedAt,
    report_url: job.result === null ? null : `${API_PREFIX}/backtests/${job.id}/report`,
  };
}

const readsAll = (p: Principal): boolean =>
  p.roles.includes('auditor') || p.roles.includes('admin');

function problem(error: unknown): unknown {
  if (error instanceof StrategyError || error instanceof MissingDataError) {
    return new ApiError(422, error.code, 'Unprocessable Content', {
      detail: error.message,
      errors: [{ field: error.field, message: error.message }],
    });
  }
  if (error instanceof BacktestNotFound) {
    return new ApiError(404, error.code, 'Not Found', { detail: 'The backtest does not exist' });
  }
  return error;
}

export function backtestRoutes(deps: BacktestRouteDeps): RouteModule {
  return (api) => {
    const router = Router();
    if (deps.authenticated.length > 0) router.use(...deps.authenticated);

    router.post(
      '/',
      route(async (req, res) => {
        const principal = principalOf(res);
        try {
          const input = BacktestRequestSchema.parse(req.body);
          const { id, position } = await deps.backtests.start(principal.userId, input, 'rest');
          res.status(202).setHeader('Location', `${API_PREFIX}/backtests/${id}`);
          res.setHeader('X-Event-Position', String(position));
          res.json(body(await deps.backtests.get(id, principal.userId)));
        } catch (error) {
          throw problem(error);
        }
      }),
    );

    router.get(
      '/:id',
      route(async (req, res) => {
        const principal = principalOf(res);
        try {
          res.setHeader('Cache-Control', 'no-store');
          res.json(
            body(
              await deps.backtests.get(
                String(req.params.id),
                principal.userId,
                readsAll(principal),
              ),
            ),
          );
        } catch (error) {
          throw problem(error);
        }
      }),
    );

    router.get(
      '/:id/report',
      route(async (req, res) => {
        const principal = principalOf(res);
        let job: BacktestJob;
        try {
          job = await deps.backtests.get(
            String(req.params.id),
            principal.userId,
            readsAll(principal),
          );
        } catch (error) {
          throw problem(error);
        }
        if (job.result === null) {
          throw new ApiError(
            409,
            job.status === 'completed' ? 'result_unavailable' : 'backtest_not_completed',
            'Conflict',
            {
              detail:
                job.status === 'completed'
                  ? 'The result of this backtest was not kept (its result store was unavailable); run it again'
                  : `The backtest is ${job.status}`,
            },
          );
        }
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.send(renderReport(job.result));
      }),
    );

    router.delete(
      '/:id',
      route(async (req, res) => {
        const principal = principalOf(res);
        try {
          await deps.backtests.cancel(String(req.params.id), principal.userId);
          res.json(body(await deps.backtests.get(String(req.params.id), principal.userId)));
        } catch (error) {
          throw problem(error);
        }
      }),
    );

    api.use('/backtests', router);
  };
}

// ─── OpenAPI ────────────────────────────────────────────────────────────────────────────────

const p = (path: string): string => `${API_PREFIX}/backtests${path}`;
const tags = ['Backtests'];
const jobExample = {
  id: '5f0c7d3e-2c1a-4b9e-9a51-2f7f3d1c9b10',
  status: 'queued',
  progress: null,
  request: { strategy: 'sma_crossover', symbols: ['AAPL'], from: '2020-01-02', to: '2024-12-31' },
  metrics: null,
  error: null,
  result: null,
  requested_at: '2026-12-03T15:00:00.000Z',
  finished_at: null,
  report_url: null,
};

documentOperation({
  method: 'post',
  path: p(''),
  tags,
  summary: 'Start a backtest',
  description:
    'Replays a built-in strategy over stored history (or the seeded simulated model, `data: generated`) through the same account decider, fill model and trigger logic as paper trading. Answers 202 at once with the job; poll `GET /backtests/{id}`. `walk_forward` and `monte_carlo` add the validation tools. The job and its summary are recorded in a `backtest-{id}` stream.',
  request: {
    body: {
      schema: BacktestRequestSchema,
      example: {
        strategy: 'sma_crossover',
        params: { fast: 20, slow: 50 },
        symbols: ['AAPL'],
        from: '2020-01-02',
        to: '2024-12-31',
      },
    },
  },
  responses: { 202: { description: 'Queued', schema: JobSchema, example: jobExample } },
  errors: { 422: ['validation_failed', 'invalid_strategy', 'no_data'] },
});

documentOperation({
  method: 'get',
  path: p('/{id}'),
  tags,
  summary: 'A backtest job',
  description:
    'Status (`queued`, `running`, `completed`, `failed`, `canceled`), progress, and once completed the metrics and the full result.',
  request: { params: IdParams },
  responses: { 200: { description: 'The job', schema: JobSchema, example: jobExample } },
  errors: { 404: ['backtest_not_found'] },
});

documentOperation({
  method: 'get',
  path: p('/{id}/report'),
  tags,
  summary: 'The HTML report of a backtest',
  description:
    'One self-contained HTML page: equity against the benchmark, drawdown, monthly returns heatmap, metrics, trades, walk-forward and Monte Carlo panels.',
  request: { params: IdParams },
  responses: {
    200: {
      description: 'The report',
      contentType: 'text/html',
      schema: z.string(),
      example: '<!doctype html>…',
    },
  },
  errors: { 404: ['backtest_not_found'], 409: ['backtest_not_completed', 'result_unavailable'] },
});

documentOperation({
  method: 'delete',
  path: p('/{id}'),
  tags,
  summary: 'Cancel a backtest',
  description:
    'Stops a queued or running job (its worker thread is terminated); a finished job is answered unchanged.',
  request: { params: IdParams },
  responses: {
    200: {
      description: 'The job after the cancel',
      schema: JobSchema,
      example: { ...jobExample, status: 'canceled' },
    },
  },
  errors: { 404: ['backtest_not_found'] },
});
