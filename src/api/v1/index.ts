/**
 * The `/api/v1` trading routes: accounts, cash, orders, positions, fills, portfolio history
 * and the account event stream (DESIGN.md section 5). Handlers translate HTTP to
 * `TradingCommands` calls and views to Alpaca-named JSON; every rule lives in the command
 * layer. Documented in the OpenAPI registry next to each handler.
 */
import { Router } from 'express';
import type { RouteModule } from '../app.ts';
import { mountAccountRoutes } from './accounts-routes.ts';
import type { TradingRouteDeps } from './deps.ts';
import { mountOrderRoutes } from './orders-routes.ts';

export type { TradingRouteDeps } from './deps.ts';
export type { PositionWaiter } from './consistency.ts';

/** Mounts `/accounts…` on the `/api/v1` router, behind authentication. */
export function tradingRoutes(deps: TradingRouteDeps): RouteModule {
  return (api) => {
    const router = Router();
    router.use(...deps.authenticated);
    // Orders first: `/:id/orders/preview` and `/by_client_order_id` before `/:id/orders/:orderId`.
    mountOrderRoutes(router, deps);
    mountAccountRoutes(router, deps);
    api.use('/accounts', router);
  };
}
