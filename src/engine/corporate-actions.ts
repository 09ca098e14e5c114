/**
 * Applies corporate actions to accounts on their dates: a process manager like the execution
 * engine (and run by it, under its lease). At the pre-open (04:00 New York) of every session —
 * before anything trades — it sends, to every account concerned:
 *
 * - `ApplyStockSplit` for splits whose ex-date is today (positions, average prices, open orders);
 * - `AccrueDividend` for dividends going ex today (holders at the start of the day);
 * - `PayDividend` for dividends payable today (cash in, or out for shorts).
 *
 * At start-up it also catches up on the last `lookbackDays` of actions, so nothing is lost
 * while no engine ran; the decider applies each action to an account once (by action id) and
 * refuses one whose ex-date holdings it can no longer know (`corporate_action_not_applicable`,
 * logged). Commands go through `AccountService`, never straight to the store.
 */
import type { AccountService, CallContext } from '../commands/accounts.ts';
import { isOpen, type AccountState } from '../domain/account/index.ts';
import type { CorporateActionCommand } from '../domain/account/corporate-actions.ts';
import { isDomainError } from '../domain/errors.ts';
import type { Cancel } from '../market/port.ts';
import type { CorporateAction, CorporateActionCalendar } from '../market/reference.ts';
import { addDays, newYorkDate } from '../market/time-zone.ts';
import type { EngineLogger } from './engine.ts';

/** Days of actions a start-up looks back over. */
export const DEFAULT_LOOKBACK_DAYS = 10;

export interface CorporateActionsOptions {
  readonly service: AccountService;
  readonly calendar: CorporateActionCalendar;
  readonly lookbackDays?: number;
  readonly logger?: EngineLogger;
}

/** What one run did. */
export interface CorporateActionsRun {
  /** The trading date the run acted for. */
  readonly date: string;
  /** Commands that changed an account. */
  readonly applied: number;
  /** Refused by the decider (logged; not retried). */
  readonly refused: number;
  /** Failed for another reason (retried at the next run). */
  readonly failed: number;
}

type Phase = 'ex' | 'pay';

const CONTEXT: CallContext = { actor: 'engine', source: 'engine' };

/** The command an action needs in a phase, at instant `at`. */
function commandFor(action: CorporateAction, phase: Phase, at: string): CorporateActionCommand {
  if (phase === 'pay') return { type: 'PayDividend', data: { actionId: action.id, at } };
  if (action.kind === 'split') {
    return {
      type: 'ApplyStockSplit',
      data: {
        actionId: action.id,
        symbol: action.symbol,
        exDate: action.exDate,
        newShares: action.newShares,
        oldShares: action.oldShares,
        at,
      },
    };
  }
  return {
    type: 'AccrueDividend',
    data: {
      actionId: action.id,
      symbol: action.symbol,
      exDate: action.exDate,
      payDate: action.payDate,
      amountPerShare: action.amountPerShare,
      at,
    },
  };
}

/** Whether an account may be concerned (the decider decides; this only avoids idle commands). */
function concerns(state: AccountState, action: CorporateAction, phase: Phase): boolean {
  if (state.status !== 'open') return false;
  if (phase === 'pay') return state.corporateActions?.[action.id] !== undefined;
  const symbol = action.symbol;
  if (state.positions[symbol] !== undefined) return true;
  if (state.day?.startPositions[symbol] !== undefined) return true;
  return (
    action.kind === 'split' &&
    Object.values(state.orders).some((o) => o.symbol === symbol && isOpen(o))
  );
}

export class CorporateActionsProcess {
  readonly #done = new Map<string, string>();
  #cancel: Cancel | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #stopped = true;

  constructor(private readonly options: CorporateActionsOptions) {}

  /** Catches up now, then runs at every pre-open on the market clock. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#enqueue();
    this.#schedule();
  }

  /** Stops the timer and waits for a run under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = undefined;
    await this.#running;
  }

  /** Resolves when no run is under way. */
  async idle(): Promise<void> {
    await this.#running;
  }

  /**
   * Applies what is due at `now` (default: the market clock): ex-date actions and payments of
   * the current trading date and the `lookbackDays` before it.
   */
  async run(now: Date = this.options.service.market.clock.now()): Promise<CorporateActionsRun> {
    const { service, calendar } = this.options;
    const date = this.#tradingDate(now);
    const from = addDays(date, -(this.options.lookbackDays ?? DEFAULT_LOOKBACK_DAYS));
    const due: { action: CorporateAction; phase: Phase }[] = [
      ...calendar.actions({ from, to: date, by: 'ex' }).map((action) => ({
        action,
        phase: 'ex' as const,
      })),
      ...calendar.actions({ from, to: date, by: 'pay' }).map((action) => ({
        action,
        phase: 'pay' as const,
      })),
    ].filter(({ action, phase }) => !this.#done.has(`${action.id}|${phase}`));
    let applied = 0;
    let refused = 0;
    let failed = 0;
    if (due.length > 0) {
      const accounts = await service.listAccountIds();
      const at = now.toISOString();
      for (const { action, phase } of due) {
        let actionFailed = false;
        for (const accountId of accounts) {
          try {
            const { state } = await service.load(accountId);
            if (!concerns(state, action, phase)) continue;
            const result = await service.corporateAction(accountId, commandFor(action, phase, at), {
              ...CONTEXT,
              causationId: `corporate-action:${action.id}:${phase}`,
            });
            if (result.events.length > 0) applied++;
          } catch (error) {
            if (isDomainError(error)) {
              refused++;
              this.options.logger?.warn(
                { accountId, action: action.id, phase, code: error.code, reason: error.message },
                'corporate action refused',
              );
            } else {
              failed++;
              actionFailed = true;
              this.options.logger?.error(
                { err: error, accountId, action: action.id, phase },
                'corporate action failed; retried at the next run',
              );
            }
          }
        }
        if (!actionFailed) this.#done.set(`${action.id}|${phase}`, date);
      }
    }
    for (const [key, doneOn] of this.#done) if (doneOn < from) this.#done.delete(key);
    if (applied + refused + failed > 0) {
      this.options.logger?.info({ date, applied, refused, failed }, 'corporate actions applied');
    }
    return { date, applied, refused, failed };
  }

  /** The trading date whose pre-open is the latest at or before `now`. */
  #tradingDate(now: Date): string {
    const calendar = this.options.service.market.calendar;
    let session = calendar.sessionOnOrBefore(newYorkDate(now));
    if (session.preOpen.getTime() > now.getTime()) {
      session = calendar.sessionOnOrBefore(addDays(session.date, -1));
    }
    return session.date;
  }

  #enqueue(): void {
    this.#running = this.#running
      .then(() => this.run())
      .catch((error: unknown) => {
        this.options.logger?.error({ err: error }, 'corporate actions run failed');
      });
  }

  #schedule(): void {
    if (this.#stopped) return;
    const { clock, calendar } = this.options.service.market;
    const now = clock.now();
    let next = calendar.sessionOnOrAfter(newYorkDate(now));
    if (next.preOpen.getTime() <= now.getTime()) {
      next = calendar.sessionOnOrAfter(addDays(next.date, 1));
    }
    this.#cancel = clock.schedule(next.preOpen, () => {
      if (this.#stopped) return;
      this.#enqueue();
      this.#schedule();
    });
  }
}
