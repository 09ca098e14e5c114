/** The execution engine (DESIGN.md section 1): see docs/engine.md. */
export * from './engine.ts';
export * from './engine-store.ts';
export * from './metrics.ts';
export * from './replay.ts';
export { ENGINE_ACTIONS, isEngineAction, sendEngineCommand } from './send.ts';
export { OpenOrderIndex, mayAct, type IndexedOrder } from './order-index.ts';
export { lastBoundaries, nextBoundary, type BoundaryKind } from './sessions.ts';
