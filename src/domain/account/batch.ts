import type { AccountEvent } from './events.ts';
import { evolve } from './evolve.ts';
import type { AccountState } from './state.ts';

/**
 * Collects the events of one decision while folding them, so later steps of the same
 * decision (fill after place, cascade after fill) see the state the earlier events produce.
 */
export class EventBatch {
  readonly events: AccountEvent[] = [];

  constructor(public state: AccountState) {}

  emit(event: AccountEvent): void {
    this.events.push(event);
    this.state = evolve(this.state, event);
  }
}
