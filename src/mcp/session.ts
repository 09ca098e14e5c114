/**
 * What an MCP server needs (`McpDeps`, built by the composition root) and who it serves
 * (`McpIdentity`: the principal of a stdio process or of an HTTP session). `ToolSession` is
 * the per-connection state every tool shares: the caller, the default account, and the
 * read-your-writes floor — a read waits until the read models include everything this
 * session wrote and everything stored before it started.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { HealthCheck } from '../api/health.ts';
import type { Principal } from '../commands/policy.ts';
import type { AccountEvents } from '../commands/account-events.ts';
import type { TradingCallContext, TradingCommands } from '../commands/trading.ts';
import type { BacktestService } from '../backtest/service.ts';
import type { MarketAnalysis } from '../commands/market-analysis.ts';
import type { PortfolioRiskQueries } from '../commands/portfolio-risk.ts';
import type { OptionsDesk } from '../commands/options-desk.ts';
import type { EventStore } from '../eventstore/port.ts';
import type { MarketData } from '../market/port.ts';
import type { ProjectionStatus } from '../projections/runner.ts';
import { ProjectionTimeout } from '../projections/runner.ts';
import { ToolFailure, VenueNotReady } from './errors.ts';
import { marketSnapshot, type MarketOut } from './market-info.ts';

/** The read side's progress, as the projection runner reports it. */
export interface ReadModelProgress {
  /** Resolves once every read model has applied `position`; rejects with `ProjectionTimeout`. */
  waitForPosition(position: number, timeoutMs: number): Promise<void>;
  status?(): Promise<readonly ProjectionStatus[]>;
}

/** The parts an MCP server runs on; the same command handlers and projections REST uses. */
export interface McpDeps {
  /** Every write and every account read goes through it (authorization included). */
  readonly trading: TradingCommands;
  readonly market: MarketData;
  /** Indicators, the scanner and reference data (analysis tools). */
  readonly analysis: MarketAnalysis;
  /** Portfolio risk and risk limits (risk tools). */
  readonly risk: PortfolioRiskQueries;
  readonly projections: ReadModelProgress;
  /** Option chains, contracts and positions (the option tools); absent: they answer unavailable. */
  readonly options?: OptionsDesk;
  /** The account streams as their owners may read them (`explain_fill`). */
  readonly accountEvents: Pick<AccountEvents, 'read'>;
  /** Sessions start reading at the store's head (everything stored before is visible). */
  readonly eventStore: Pick<EventStore, 'headPosition'>;
  /** The same checks `/api/v1/health` runs. */
  readonly healthChecks?: readonly HealthCheck[];
  readonly version: string;
  /** `MARKET_CLOCK`: whether the market time tools report is simulated (default) or real. */
  readonly clock?: 'simulated' | 'real';
  readonly logger?: Logger;
  /** Longest a read waits for the read models to include earlier writes (default 5000 ms). */
  readonly readTimeoutMs?: number;
  /** Backtest jobs (`run_backtest`, `backtest_result`); absent → those tools say so. */
  readonly backtests?: BacktestService;
}

/** Counts tool calls in flight, so a stopping process can let them finish first. */
export class CallTracker {
  #active = 0;
  #waiters: (() => void)[] = [];

  /** Marks a call as started; call the answer when it ends. */
  start(): () => void {
    this.#active += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#active -= 1;
      if (this.#active === 0) for (const wake of this.#waiters.splice(0)) wake();
    };
  }

  get active(): number {
    return this.#active;
  }

  /** Resolves when no call is in flight, or after `timeoutMs`. */
  idle(timeoutMs: number): Promise<void> {
    if (this.#active === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Who a server acts for. */
export interface McpIdentity {
  readonly principal: Principal;
  /** Used when a tool call names no `account_id` (stdio: the local default account). */
  readonly defaultAccountId?: string;
  /** How the caller authenticated, in words (reported by `health_check`). */
  readonly description: string;
}

/** What a server needs to answer tools: its parts and whom it acts for. */
export interface McpSetup {
  readonly deps: McpDeps;
  readonly identity: McpIdentity;
}

export class ToolSession {
  #setup: McpSetup | undefined;
  readonly #ready: Promise<void>;
  /** Reads wait for this position: the head when the session started, then each write. */
  #floor = 0;

  /**
   * `setup` may still be on its way (stdio answers `initialize` while the venue starts):
   * tool calls wait for it.
   */
  constructor(
    setup: McpSetup | Promise<McpSetup>,
    /** Counts calls in flight (stdio lets them finish before it stops). */
    readonly calls?: CallTracker,
  ) {
    this.#ready = Promise.resolve(setup).then(async (ready) => {
      this.#setup = ready;
      try {
        this.#floor = Math.max(this.#floor, await ready.deps.eventStore.headPosition());
      } catch {
        // Reads then wait only for this session's own writes.
      }
    });
    // A failed start is reported to each tool call; nobody else needs to hear of it.
    this.#ready.catch(() => undefined);
  }

  /** Resolves once the venue is running; rejects with `VenueNotReady` when it failed to start. */
  async ready(): Promise<void> {
    try {
      await this.#ready;
    } catch (error) {
      throw new VenueNotReady(
        `The paper-trading venue failed to start: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  get deps(): McpDeps {
    if (this.#setup === undefined) throw new VenueNotReady('The venue is still starting');
    return this.#setup.deps;
  }

  /** The parts, when the venue is running (for logging from error paths). */
  get depsIfReady(): McpDeps | undefined {
    return this.#setup?.deps;
  }

  get identity(): McpIdentity {
    if (this.#setup === undefined) throw new VenueNotReady('The venue is still starting');
    return this.#setup.identity;
  }

  get principal(): Principal {
    return this.identity.principal;
  }

  /** Metadata for a command sent by this session. */
  callContext(): TradingCallContext {
    return { source: 'mcp', correlationId: randomUUID() };
  }

  /** Remembers a write, so later reads wait for the read models to include it. */
  wrote(position: number | undefined): void {
    if (position !== undefined) this.#floor = Math.max(this.#floor, position);
  }

  /**
   * Waits until the read models include this session's writes. Answers `false` when they did
   * not catch up in time: the caller still answers, saying the data may lag.
   */
  async readable(): Promise<boolean> {
    await this.ready();
    if (this.#floor === 0) return true;
    try {
      await this.deps.projections.waitForPosition(this.#floor, this.deps.readTimeoutMs ?? 5000);
      return true;
    } catch (error) {
      if (error instanceof ProjectionTimeout) return false;
      throw error;
    }
  }

  /**
   * The account a call is about: the one named, else the identity's default, else the
   * caller's only account. Several accounts and none named is refused, listing them.
   */
  async accountId(named: string | undefined): Promise<string> {
    if (named !== undefined) return named;
    if (this.identity.defaultAccountId !== undefined) return this.identity.defaultAccountId;
    await this.readable();
    const page = await this.deps.trading.listAccounts(this.principal, { limit: 11 });
    const mine = page.items.filter((a) => a.ownerId === this.principal.userId);
    const [only] = mine;
    if (only !== undefined && mine.length === 1) return only.id;
    if (mine.length === 0) {
      throw new ToolFailure(
        'no_account',
        'You have no trading account yet',
        'account_id',
        'Open one with POST /api/v1/accounts (or `paper-trading accounts open`), then call again.',
      );
    }
    throw new ToolFailure(
      'account_required',
      `You have several accounts, so say which one: ${mine.map((a) => `${a.id} ("${a.name}")`).join(', ')}${page.nextCursor === null ? '' : ', …'}`,
      'account_id',
      'Pass account_id with one of these ids.',
    );
  }

  /** The market now. */
  market(): MarketOut {
    return marketSnapshot(this.deps.market, this.deps.clock ?? 'simulated');
  }
}
