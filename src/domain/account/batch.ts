import type { AccountEvent } from './events.ts';
import { evolve } from './evolve.ts';
import type { AccountState } from './state.ts';

/**
 * What a decision produced: its events and the state they fold to, so a command handler need
 * not fold the same events again after appending them.
 */
export interface Decision {
  readonly events: AccountEvent[];
  readonly state: AccountState;
}

/**
 * Collects the events of one decision while folding them, so later steps of the same
 * decision (fill after place, cascade after fill) see the state the earlier events produce.
 */
export class EventBatch implements Decision {
  readonly events: AccountEvent[] = [];

  constructor(public state: AccountState) {}

  /** A decision made of `events` (possibly none), folded onto `state`. */
  static of(state: AccountState, events: readonly AccountEvent[]): EventBatch {
    const batch = new EventBatch(state);
    for (const event of events) batch.emit(event);
    return batch;
  }

  emit(event: AccountEvent): void {
    this.events.push(event);
    this.state = evolve(this.state, event);
  }
}
