/**
 * The account aggregate (`account-{id}` stream): commands, events, state, the decider and
 * the engine's evaluator. Command handlers need `decide`, `evolve`, `initialState` and
 * `findOrderByClientOrderId`; the execution engine needs `evaluateOrder`.
 */
export * from './commands.ts';
export * from './events.ts';
export * from './order.ts';
export * from './settings.ts';
export * from './state.ts';
export * from './order-lookup.ts';
export type { Decision } from './batch.ts';
export { decide, decideAndFold, resolveSettings } from './decide.ts';
export { evolve, fold } from './evolve.ts';
export { evaluateAccount, evaluateOrder, type OrderEvaluation } from './evaluate.ts';
export { expiryDue, isWorkingNow, planFill, type PlannedFill } from './execution.ts';
export { applyTrade, type TradeEffect } from './position.ts';
export {
  legsOf,
  planMultiLegFill,
  MAX_LEGS,
  type LegFill,
  type MultiLegFill,
} from './multi-leg.ts';
export { AUTO_EXERCISE_THRESHOLD } from './option-lifecycle.ts';
export {
  hasOptionExposure,
  optionExposures,
  positionRequirement,
  workingRequirement,
} from './option-exposure.ts';

import { accountStream } from '../ids.ts';
import { decide, decideAndFold } from './decide.ts';
import { evolve } from './evolve.ts';
import { initialState } from './state.ts';

/** The account stream name for an id: `account-{id}`. */
export const streamName = accountStream;

/** Emmett-style decider bundle, for a generic load → decide → append command handler. */
export const accountDecider = { decide, decideAndFold, evolve, initialState } as const;
