/**
 * The backtest's account: the venue's own account decider (`accountDecider.decideAndFold`,
 * the function `CommandHandler` calls for every live command) over one account stream, in the
 * backtest's own in-memory event store. Nothing here reaches a live account or store.
 *
 * Differences from the live command path, none of which changes a decision:
 * - No load per command: the ledger keeps the state it folded (as the handler's cache does).
 * - Events go to the memory store in batches (`flush`), not one append per command: an append
 *   is a JSON round trip, and the result is the same stream, revision by revision.
 *
 * Terminal orders need no special handling here: `evolve` itself moves them out of
 * `state.orders` into the append-only `state.terminalOrders` (ADR 0012), so the open orders the
 * replay loop walks are exactly `state.orders`, and keeping every finished order costs O(1).
 */
import {
  accountDecider,
  orderById,
  type AccountCommand,
  type AccountEvent,
  type AccountState,
  type Order,
  type SettingsPatch,
} from '../domain/account/index.ts';
import type { AppendMap } from '../domain/append-map.ts';
import { buyingPower } from '../domain/account/state.ts';
import { accountStream } from '../domain/ids.ts';
import { MemoryEventStore } from '../eventstore/memory.ts';
import { randomUUID } from 'node:crypto';

/** Events per append when the journal is flushed (the store's limit is 10,000). */
const APPEND_BATCH = 5_000;

/** An event with the simulation time of the decision that produced it. */
export interface JournalEntry {
  readonly event: AccountEvent;
  readonly simTime: string;
}

export class BacktestLedger {
  state: AccountState;
  readonly store = new MemoryEventStore({ keep: 'reference' });
  readonly stream: string;
  #journal: JournalEntry[] = [];
  #flushed = 0;
  #revision = -1;
  /** Float mirrors of exact figures, refreshed after each decision (analytics only). */
  cash = 0;
  decisions = 0;
  /**
   * Orders in `state.orders` (all of them open: terminal ones are in `archive`), counted after each
   * decision so the replay loop asks "any open order?" once per bar without walking the state.
   */
  openOrderCount = 0;

  constructor(
    readonly accountId: string,
    options: {
      readonly initialCash: string;
      readonly settings: SettingsPatch;
      readonly at: string;
    },
  ) {
    this.stream = accountStream(accountId);
    this.state = accountDecider.initialState();
    this.decide(
      {
        type: 'OpenAccount',
        data: {
          accountId,
          ownerId: accountId,
          name: `backtest ${accountId}`,
          initialCash: options.initialCash,
          settings: options.settings,
          at: options.at,
        },
      },
      options.at,
    );
  }

  /**
   * Decides a command against the current state and keeps its events. Domain errors
   * propagate (nothing is kept). Returns the events.
   */
  decide(command: AccountCommand, simTime: string): readonly AccountEvent[] {
    const decision = accountDecider.decideAndFold(command, this.state);
    this.decisions += 1;
    if (decision.events.length === 0) return decision.events;
    const state = decision.state;
    for (const event of decision.events) this.#journal.push({ event, simTime });
    this.#revision += decision.events.length;
    let open = 0;
    for (const _ in state.orders) open += 1;
    this.state = state;
    this.openOrderCount = open;
    this.cash = Number(state.cash);
    return decision.events;
  }

  /** Orders that reached a terminal status, by id, in the order they finished. */
  get archive(): AppendMap<Order> {
    return this.state.terminalOrders;
  }

  /** An order by id, open or finished. */
  order(id: string): Order | undefined {
    return orderById(this.state, id);
  }

  /**
   * Buying power as the decider computes it (float, for sizing). A cash account with no open
   * order has exactly its cash: `(cash + Σ basis) − Σ |basis| − reserved` with long positions
   * only and nothing reserved — no need for the decimal sum.
   */
  buyingPower(): number {
    if (this.state.settings.accountType === 'cash' && this.openOrderCount === 0) return this.cash;
    return Number(buyingPower(this.state));
  }

  /** Stream revision of the last event decided. */
  get revision(): number {
    return this.#revision;
  }

  /** Events decided so far. */
  get eventCount(): number {
    return this.#journal.length;
  }

  /** Appends every event not yet in the store, with exact expected revisions. */
  async flush(metadata: { readonly actor: string; readonly correlationId: string }): Promise<void> {
    while (this.#flushed < this.#journal.length) {
      const batch = this.#journal.slice(this.#flushed, this.#flushed + APPEND_BATCH);
      await this.store.append(
        this.stream,
        batch.map((entry) => ({
          id: randomUUID(),
          type: entry.event.type,
          data: entry.event.data,
          metadata: {
            actor: metadata.actor,
            source: 'system',
            correlationId: metadata.correlationId,
            simTime: entry.simTime,
          },
        })),
        { expectedRevision: this.#flushed === 0 ? 'no_stream' : this.#flushed - 1 },
      );
      this.#flushed += batch.length;
    }
  }
}
