/**
 * The `/api/v1` trading routes: accounts, cash, orders, positions, fills, portfolio history
 * and the account event stream (DESIGN.md section 5). Handlers translate HTTP to
 * `TradingCommands` calls and views to Alpaca-named JSON; every rule lives in the command
 * layer. Documented in the OpenAPI registry next to each handler.
 */
import { Router, type ErrorRequestHandler } from 'express';
import { PolicyError } from '../../commands/policy.ts';
import type { RouteModule } from '../app.ts';
import { mountAccountRoutes } from './accounts-routes.ts';
import type { TradingRouteDeps } from './deps.ts';
import { mountOrderRoutes } from './orders-routes.ts';
import { mountOptionAccountRoutes } from './options-routes.ts';

export type { TradingRouteDeps } from './deps.ts';
export type { PositionWaiter } from './consistency.ts';

/** Mounts `/accounts…` on the `/api/v1` router, behind authentication. */
export function tradingRoutes(deps: TradingRouteDeps): RouteModule {
  return (api) => {
    const router = Router();
    router.use(...deps.authenticated);
    // Orders first: `/:id/orders/preview` and `/by_client_order_id` before `/:id/orders/:orderId`.
    mountOrderRoutes(router, deps);
    if (deps.options) mountOptionAccountRoutes(router, deps, deps.options);
    mountAccountRoutes(router, deps);
    router.use(sameNotFound);
    api.use('/accounts', router);
  };
}

/**
 * Under `/accounts/{id}` the only resource a generic policy `not_found` can hide is the
 * account, and it must read exactly like an account that does not exist: the same code for
 * "no such account" and "another tenant's account", so the answer leaks nothing.
 */
const sameNotFound: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
  if (error instanceof PolicyError && error.kind === 'not_found' && error.code === 'not_found') {
    next(new PolicyError('not_found', 'account_not_found', 'The account does not exist'));
    return;
  }
  next(error);
};
