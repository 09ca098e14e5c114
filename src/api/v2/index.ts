/**
 * The Alpaca-compatible trading API at the server root (`/v2/…` and the `/stream`
 * WebSocket), so unmodified Alpaca SDK bots paper-trade against this ledger. A thin
 * translation: every route calls `TradingCommands` (writes, authorization, the audit trail,
 * source `alpaca-v2`) or reads the projections and the market port through it — no trading
 * rule lives here. docs/alpaca.md has the compatibility table.
 */
import { Router, type ErrorRequestHandler } from 'express';
import { mountAccountRoutes } from './account.ts';
import { AccountWatermarks, apcaCredentials, type AlpacaDeps } from './context.ts';
import { alpacaErrorHandler, alpacaNotFound } from './errors.ts';
import { mountMarketRoutes } from './market.ts';
import { mountOptionRoutes } from './options.ts';
import { mountOrderRoutes } from './orders.ts';
import { TradeUpdatesStream, type TradeStreamOptions } from './stream.ts';

export type { AlpacaDeps } from './context.ts';
export { STREAM_PATH, TradeUpdatesStream } from './stream.ts';

export interface AlpacaApi {
  /** Mount at `/v2`. */
  readonly router: Router;
  /** Mount at `/v2` after `router`: every error of `/v2` (and of the app before it) as Alpaca's. */
  readonly errors: ErrorRequestHandler;
  /** The `trade_updates` WebSocket (`/stream` upgrades). */
  readonly stream: TradeUpdatesStream;
  close(): Promise<void>;
}

/** Builds the `/v2` routes and the `trade_updates` stream. */
export function alpacaApi(deps: AlpacaDeps, streamOptions?: TradeStreamOptions): AlpacaApi {
  const marks = new AccountWatermarks(deps.waiter, deps.readWaitMs);
  const router = Router();
  router.use(apcaCredentials, ...deps.authenticated);
  mountAccountRoutes(router, deps, marks);
  mountOrderRoutes(router, deps, marks);
  mountMarketRoutes(router, deps);
  mountOptionRoutes(router, deps);
  router.use(alpacaNotFound);
  const stream = new TradeUpdatesStream(deps, marks, streamOptions);
  return {
    router,
    errors: alpacaErrorHandler(deps.logger),
    stream,
    close: () => stream.close(),
  };
}
