/**
 * Account tools: balances, account details and settings, positions and portfolio history —
 * reads of the projections through `TradingCommands` (so another tenant's account is simply
 * not found), after this session's own writes have been applied.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { dec, fmt } from '../../domain/money.ts';
import type { PositionView } from '../../projections/trading-views.ts';
import { accountIdArg, choiceArg, instantArg, symbolArg, ARGUMENT_HINTS } from '../args.ts';
import {
  accountFromView,
  accountOut,
  positionFromView,
  positionOut,
  type PositionOut,
} from '../present.ts';
import type { ToolSession } from '../session.ts';
import { registerTool, type ToolCatalog } from '../tool.ts';

const LAGGING =
  ' (The read models had not caught up with your latest change within the wait; retry for fresher data.)';

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true } as const;

function positionLines(positions: readonly PositionOut[], max = 15): string {
  const lines = positions.slice(0, max).map((p) => {
    const pl =
      p.unrealized_pl === null
        ? ''
        : `, unrealized ${p.unrealized_pl}${p.unrealized_pl_percent === null ? '' : ` (${p.unrealized_pl_percent} %)`}`;
    return `• ${p.symbol}: ${p.quantity} shares @ ${p.avg_entry_price} avg, now ${p.current_price ?? 'no quote'}${pl}`;
  });
  if (positions.length > max) lines.push(`• … and ${positions.length - max} more`);
  return lines.join('\n');
}

function totals(positions: readonly PositionView[]) {
  let marketValue = dec('0');
  let costBasis = dec('0');
  let unrealized = dec('0');
  for (const p of positions) {
    costBasis = costBasis.plus(dec(p.costBasis));
    marketValue = marketValue.plus(dec(p.marketValue ?? p.costBasis));
    unrealized = unrealized.plus(dec(p.unrealizedPl ?? '0'));
  }
  return {
    market_value: fmt(marketValue),
    cost_basis: fmt(costBasis),
    unrealized_pl: fmt(unrealized),
  };
}

/** Registers the account tools. */
export function registerAccountTools(
  server: McpServer,
  session: ToolSession,
  catalog: ToolCatalog,
): void {
  registerTool(server, session, catalog, {
    name: 'account_info',
    title: 'Account balances',
    group: 'account',
    description:
      'Show your trading account: cash, buying power (what new orders may use after reservations of open orders), equity, day P&L, ' +
      'market value of long and short positions and the number of open orders; also lists all your accounts with their ids. ' +
      'Use it first in a session and before sizing an order. All money is simulated (paper trading). Example: {}.',
    input: z.strictObject({ account_id: accountIdArg }),
    output: {
      account: accountOut,
      accounts: z
        .array(z.object({ id: z.string(), name: z.string() }))
        .describe('All your accounts (pass one id as account_id to use it)'),
      default_account_id: z
        .string()
        .nullable()
        .describe('The account used when account_id is omitted'),
    },
    annotations: READ,
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      const fresh = await session.readable();
      const account = accountFromView(
        await session.deps.trading.account(session.principal, accountId),
      );
      const all = await session.deps.trading.listAccounts(session.principal, { limit: 100 });
      const accounts = all.items
        .filter((a) => a.ownerId === session.principal.userId)
        .map((a) => ({ id: a.id, name: a.name }));
      return {
        data: {
          account,
          accounts,
          default_account_id:
            session.identity.defaultAccountId ??
            (accounts.length === 1 ? (accounts[0]?.id ?? null) : null),
        },
        summary:
          `Account "${account.name}" (${account.id}, ${account.account_type}): cash ${account.cash} USD, buying power ${account.buying_power}, ` +
          `equity ${account.equity} (day P&L ${account.day_pl}), long market value ${account.long_market_value}, ${account.open_orders} open order${account.open_orders === 1 ? '' : 's'}.` +
          (accounts.length > 1 ? ` You have ${accounts.length} accounts.` : '') +
          (fresh ? '' : LAGGING),
      };
    },
  });

  registerTool(server, session, catalog, {
    name: 'account_details',
    title: 'Account details and settings',
    group: 'account',
    description:
      'Show everything about the account: balances (as account_info), totals since opening (deposits, withdrawals, realized P&L, fees paid), ' +
      'the trading settings that decide how orders are checked and filled (cash or margin, shorting, fractional shares, stop trigger source, ' +
      'the fill model: slippage, commission, regulatory fees) and risk limits, plus current positions. Use it to understand why an order was ' +
      'rejected or priced as it was. Example: {}.',
    input: z.strictObject({ account_id: accountIdArg }),
    output: {
      account: accountOut,
      totals: z.object({
        total_deposits: z.string(),
        total_withdrawals: z.string(),
        realized_pl: z.string(),
        fees_paid: z.string(),
      }),
      settings: z.object({
        account_type: z.enum(['cash', 'margin']),
        margin_multiplier: z.string(),
        shorting_enabled: z.boolean(),
        fractional_trading: z.boolean(),
        market_order_buffer: z
          .string()
          .describe('Extra fraction over the ask a market buy reserves'),
        stop_trigger_source: z.enum(['last', 'bid_ask']),
        fill_model: z.record(z.string(), z.unknown()),
        limits: z.object({
          max_position_quantity: z.string().nullable(),
          max_order_notional: z.string().nullable(),
          max_gross_exposure: z.string().nullable(),
        }),
      }),
      positions: z.array(positionOut),
      opened_at: z.string(),
    },
    annotations: READ,
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      const fresh = await session.readable();
      const view = await session.deps.trading.account(session.principal, accountId);
      const positions = (await session.deps.trading.positions(session.principal, accountId)).map(
        positionFromView,
      );
      const s = view.settings;
      const account = accountFromView(view);
      return {
        data: {
          account,
          totals: {
            total_deposits: view.totalDeposits,
            total_withdrawals: view.totalWithdrawals,
            realized_pl: view.realizedPl,
            fees_paid: view.feesPaid,
          },
          settings: {
            account_type: s.accountType,
            margin_multiplier: s.marginMultiplier,
            shorting_enabled: s.shortingEnabled,
            fractional_trading: s.fractionalTrading,
            market_order_buffer: s.marketOrderBuffer,
            stop_trigger_source: s.stopTriggerSource,
            fill_model: { ...s.fillModel },
            limits: {
              max_position_quantity: s.limits.maxPositionQty,
              max_order_notional: s.limits.maxOrderNotional,
              max_gross_exposure: s.limits.maxGrossExposure,
            },
          },
          positions,
          opened_at: view.createdAt,
        },
        summary:
          `Account "${account.name}" (${account.id}): ${s.accountType} account${s.accountType === 'margin' ? ` (×${s.marginMultiplier})` : ''}, ` +
          `shorting ${s.shortingEnabled && s.accountType === 'margin' ? 'allowed' : 'not allowed'}, fractional shares ${s.fractionalTrading ? 'allowed' : 'off'}, ` +
          `stops trigger on ${s.stopTriggerSource === 'last' ? 'the last trade' : 'bid/ask'}. Cash ${account.cash}, buying power ${account.buying_power}, equity ${account.equity}; ` +
          `deposits ${view.totalDeposits}, realized P&L ${view.realizedPl}, fees paid ${view.feesPaid}; ${positions.length} position${positions.length === 1 ? '' : 's'}.` +
          (fresh ? '' : LAGGING),
      };
    },
  });

  registerTool(server, session, catalog, {
    name: 'positions',
    title: 'Open positions',
    group: 'account',
    description:
      'List the shares you hold (negative quantity = short) with average entry price, current (simulated) price, market value and unrealized P&L, ' +
      'plus totals. Use it before selling, to know how many shares you can sell, or to review performance. Optional symbol for one position. ' +
      'Example: {} or {"symbol": "AAPL"}.',
    input: z.strictObject({ symbol: symbolArg.optional(), account_id: accountIdArg }),
    output: {
      account_id: z.string(),
      positions: z.array(positionOut),
      totals: z.object({
        market_value: z.string().describe('Σ market value (positions without a quote at cost)'),
        cost_basis: z.string(),
        unrealized_pl: z.string(),
      }),
    },
    annotations: READ,
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      const fresh = await session.readable();
      let views: readonly PositionView[];
      if (args.symbol === undefined) {
        views = await session.deps.trading.positions(session.principal, accountId);
      } else {
        // An absent position is an answer (you hold none), not an error.
        const all = await session.deps.trading.positions(session.principal, accountId);
        views = all.filter((p) => p.symbol === args.symbol);
      }
      const positions = views.map(positionFromView);
      const sum = totals(views);
      const summary =
        positions.length === 0
          ? `You hold no ${args.symbol === undefined ? 'positions' : `${args.symbol} shares`}.`
          : `${positions.length} position${positions.length === 1 ? '' : 's'} (market value ${sum.market_value}, unrealized P&L ${sum.unrealized_pl}):\n${positionLines(positions)}\n`;
      return {
        data: { account_id: accountId, positions, totals: sum },
        summary: summary + (fresh ? '' : LAGGING),
      };
    },
  });

  registerTool(server, session, catalog, {
    name: 'portfolio_history',
    title: 'Portfolio value over time',
    group: 'account',
    description:
      'Show how the account equity and cash moved over time, with profit/loss against the first point. timeframe: 1Min, 5Min, 15Min, 1H or 1D ' +
      '(default 1D for ranges over a day); start and end are ISO-8601 dates or times in market (simulated) time, default from the account opening to now. ' +
      'Use it to report performance. Example: {"timeframe": "1H", "start": "2025-03-03"}.',
    input: z.strictObject({
      timeframe: choiceArg(
        'timeframe',
        ['1Min', '5Min', '15Min', '1H', '1D'] as const,
        `Optional: ${ARGUMENT_HINTS.timeframe ?? ''}.`,
      ).optional(),
      start: instantArg('start', `Optional start: ${ARGUMENT_HINTS.start ?? ''}.`).optional(),
      end: instantArg('end', `Optional end: ${ARGUMENT_HINTS.end ?? ''}.`).optional(),
      account_id: accountIdArg,
    }),
    output: {
      account_id: z.string(),
      timeframe: z.string(),
      base_value: z.string().describe('Equity at the first point, the basis of profit/loss'),
      points: z.array(
        z.object({
          timestamp: z.string(),
          equity: z.string(),
          cash: z.string(),
          profit_loss: z.string(),
          profit_loss_percent: z.string(),
        }),
      ),
    },
    annotations: READ,
    run: async (args) => {
      const accountId = await session.accountId(args.account_id);
      const fresh = await session.readable();
      const history = await session.deps.trading.portfolioHistory(session.principal, accountId, {
        ...(args.timeframe === undefined ? {} : { timeframe: args.timeframe }),
        ...(args.start === undefined ? {} : { start: args.start }),
        ...(args.end === undefined ? {} : { end: args.end }),
      });
      const points = history.points.map((p) => ({
        timestamp: p.timestamp,
        equity: p.equity,
        cash: p.cash,
        profit_loss: p.profitLoss,
        profit_loss_percent: fmt(dec(p.profitLossPct).times(100).toDecimalPlaces(4)),
      }));
      const first = points[0];
      const last = points.at(-1);
      const summary =
        first === undefined || last === undefined
          ? 'No portfolio history in that range.'
          : `${points.length} ${history.timeframe} point${points.length === 1 ? '' : 's'} from ${first.timestamp} to ${last.timestamp}: equity ${first.equity} → ${last.equity}, profit/loss ${last.profit_loss} (${last.profit_loss_percent} %).`;
      return {
        data: {
          account_id: accountId,
          timeframe: history.timeframe,
          base_value: history.baseValue,
          points,
        },
        summary: summary + (fresh ? '' : LAGGING),
      };
    },
  });
}
