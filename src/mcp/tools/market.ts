/**
 * Market tools: the latest quote of a stock and the market calendar, straight from the
 * `MarketData` port. Every answer says the prices are simulated (or replayed history).
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { dec, fmt } from '../../domain/money.ts';
import type { Session } from '../../market/calendar.ts';
import { newYorkDate } from '../../market/time-zone.ts';
import { civilDateArg, symbolsArg } from '../args.ts';
import { ToolFailure } from '../errors.ts';
import { newYorkTime } from '../market-info.ts';
import { quoteFrom, quoteOut } from '../present.ts';
import type { ToolSession } from '../session.ts';
import { registerTool, type ToolCatalog } from '../tool.ts';

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: false } as const;

const sessionOut = z.object({
  date: z.string().describe('New York calendar date'),
  pre_open: z.string().describe('Pre-market opens (04:00 ET), ISO-8601 UTC'),
  open: z.string().describe('Regular session opens (09:30 ET)'),
  close: z.string().describe('Regular session closes (16:00 ET, 13:00 ET on early-close days)'),
  post_close: z.string().describe('Post-market closes (20:00 ET, 17:00 ET on early-close days)'),
  early_close: z.boolean(),
});

function sessionFrom(s: Session): z.infer<typeof sessionOut> {
  return {
    date: s.date,
    pre_open: s.preOpen.toISOString(),
    open: s.open.toISOString(),
    close: s.close.toISOString(),
    post_close: s.postClose.toISOString(),
    early_close: s.earlyClose,
  };
}

/** Registers the market tools. */
export function registerMarketTools(
  server: McpServer,
  session: ToolSession,
  catalog: ToolCatalog,
): void {
  registerTool(server, session, catalog, {
    name: 'get_quote',
    title: 'Stock quote',
    group: 'market',
    description:
      'Get the latest quote of one or more stocks on this venue: bid, ask, sizes, last trade, spread and mid, with the company name and whether ' +
      'it is tradable, shortable and fractionable. Prices are SIMULATED (a seeded feed) unless the venue replays history — the answer says which. ' +
      'A market buy fills at the ask and a market sell at the bid. Use it before placing an order. ' +
      'Example: {"symbol": "AAPL"} or {"symbol": "AAPL,MSFT"}.',
    input: z.strictObject({ symbol: symbolsArg }),
    output: {
      quotes: z.array(
        quoteOut.extend({
          name: z.string(),
          exchange: z.string(),
          spread: z.string().describe('ask − bid'),
          mid: z.string().describe('(bid + ask) / 2'),
          tradable: z.boolean(),
          shortable: z.boolean(),
          fractionable: z.boolean(),
          simulated: z.boolean().describe('True when the instrument and its prices are simulated'),
        }),
      ),
      not_listed: z.array(z.string()).describe('Symbols this venue does not list'),
    },
    annotations: READ,
    run: (args) => {
      const quotes = [];
      const notListed: string[] = [];
      for (const symbol of args.symbol) {
        const asset = session.deps.market.asset(symbol);
        const quote =
          asset === undefined ? undefined : session.deps.market.latestQuote(asset.symbol);
        if (asset === undefined || quote === undefined) {
          notListed.push(symbol);
          continue;
        }
        const bid = dec(quote.bid);
        const ask = dec(quote.ask);
        quotes.push({
          ...quoteFrom(quote),
          name: asset.name,
          exchange: asset.exchange,
          spread: fmt(ask.minus(bid)),
          mid: fmt(bid.plus(ask).dividedBy(2)),
          tradable: asset.tradable,
          shortable: asset.shortable,
          fractionable: asset.fractionable,
          simulated: asset.simulated,
        });
      }
      if (quotes.length === 0) {
        throw new ToolFailure(
          'unknown_symbol',
          `${notListed.join(', ')} ${notListed.length === 1 ? 'is' : 'are'} not listed on this venue`,
          'symbol',
          `This venue lists a fixed universe of simulated stocks, e.g. ${session.deps.market
            .assets()
            .slice(0, 8)
            .map((a) => a.symbol)
            .join(', ')}.`,
        );
      }
      const lines = quotes.map(
        (q) =>
          `${q.symbol} (${q.name}, ${q.simulated ? 'simulated' : q.source}): bid ${q.bid} × ${q.bid_size}, ask ${q.ask} × ${q.ask_size}, last ${q.last}, at ${newYorkTime(q.time)}`,
      );
      return Promise.resolve({
        data: { quotes, not_listed: notListed },
        summary:
          lines.join('\n') +
          (notListed.length === 0 ? '' : `\nNot listed on this venue: ${notListed.join(', ')}.`) +
          '\n',
      });
    },
  });

  registerTool(server, session, catalog, {
    name: 'market_hours',
    title: 'Market hours and calendar',
    group: 'market',
    description:
      'Tell whether the US stock market is open now (on the venue clock, which is simulated by default), the current phase ' +
      '(pre-market 04:00-09:30 ET, regular 09:30-16:00, post-market 16:00-20:00, closed), the next open and close, and the session times of a date ' +
      '(NYSE holidays and early closes included). Use it before placing orders: outside the regular session market orders are queued until the open. ' +
      'Example: {} or {"date": "2025-12-24"}.',
    input: z.strictObject({ date: civilDateArg.optional() }),
    output: {
      now: z.string(),
      phase: z.enum(['pre', 'regular', 'post', 'closed']),
      is_open: z.boolean(),
      next_open: z.string(),
      next_close: z.string(),
      date: z.string().describe('The date asked about (today when omitted)'),
      session: sessionOut
        .nullable()
        .describe('That date’s session; null when the market is closed all day'),
      holiday: z
        .string()
        .nullable()
        .describe('The holiday that closes the market that day, if any'),
      next_sessions: z.array(sessionOut).describe('The next five sessions from that date'),
    },
    annotations: READ,
    run: (args) => {
      const now = session.deps.market.clock.now();
      const { calendar } = session.deps.market;
      const date = args.date ?? newYorkDate(now);
      const day = calendar.session(date);
      const holiday =
        calendar.holidays(Number(date.slice(0, 4))).find((h) => h.date === date)?.name ?? null;
      const next: Session[] = [];
      let cursor = calendar.sessionOnOrAfter(date);
      while (next.length < 5) {
        next.push(cursor);
        const following = new Date(cursor.close.getTime() + 12 * 3_600_000);
        cursor = calendar.sessionOnOrAfter(newYorkDate(following));
        if (cursor.date === next.at(-1)?.date) break;
      }
      const phase = calendar.phaseAt(now);
      const nextOpen = calendar.nextOpen(now);
      const nextClose = calendar.nextClose(now);
      const sessionText =
        day === undefined
          ? `${date} has no session${holiday === null ? ' (weekend)' : ` (${holiday})`}`
          : `${date}: regular session ${newYorkTime(day.open, false).slice(15)}–${newYorkTime(day.close, false).slice(15)}${day.earlyClose ? ' (early close)' : ''}`;
      return Promise.resolve({
        data: {
          now: now.toISOString(),
          phase,
          is_open: phase === 'regular',
          next_open: nextOpen.toISOString(),
          next_close: nextClose.toISOString(),
          date,
          session: day === undefined ? null : sessionFrom(day),
          holiday,
          next_sessions: next.map(sessionFrom),
        },
        summary: `The market is ${phase === 'regular' ? 'OPEN (regular session)' : phase === 'closed' ? 'CLOSED' : phase === 'pre' ? 'in PRE-MARKET (regular session not open yet)' : 'in POST-MARKET (regular session closed)'}. Next open ${newYorkTime(nextOpen, false)}, next close ${newYorkTime(nextClose, false)}. ${sessionText}.`,
      });
    },
  });
}
