import {
  EventStoreError,
  type AppendResult,
  type PreparedEvent,
  type ReadStreamOptions,
  type RecordedEvent,
} from './port.ts';

/**
 * Idempotent appends: when every event id of the batch is already in the stream the
 * append is a retry and answers what the original append answered; when only some are,
 * the caller is confused and gets an error rather than a half-written batch.
 */
export function findIdempotentAppend(
  stream: readonly RecordedEvent[],
  batch: readonly PreparedEvent[],
): AppendResult | undefined {
  if (stream.length === 0) return undefined;
  const ids = new Set(batch.map((e) => e.id));
  const found = stream.filter((e) => ids.has(e.id));
  return idempotentResult(
    found.map((e) => ({ revision: e.revision, position: e.position })),
    batch.length,
  );
}

/** Turns the already-stored copies of a batch into the append's answer (see above). */
export function idempotentResult(
  found: readonly { revision: number; position: number }[],
  batchSize: number,
): AppendResult | undefined {
  if (found.length === 0) return undefined;
  if (found.length !== batchSize) throw partialDuplicate(found.length, batchSize);
  let last = found[0] ?? { revision: 0, position: 0 };
  for (const e of found) if (e.revision > last.revision) last = e;
  return { nextRevision: last.revision, position: last.position };
}

/** Applies readStream options to a stream held in revision order. */
export function sliceStream(
  stream: readonly RecordedEvent[],
  options: ReadStreamOptions,
): RecordedEvent[] {
  const max = checkMaxCount(options.maxCount);
  if ((options.direction ?? 'forwards') === 'forwards') {
    const from = options.fromRevision ?? 'start';
    const start = from === 'start' ? 0 : from === 'end' ? stream.length : checkRevision(from);
    return stream.slice(start, start + max);
  }
  const from = options.fromRevision ?? 'end';
  const end = from === 'end' ? stream.length - 1 : from === 'start' ? 0 : checkRevision(from);
  const out: RecordedEvent[] = [];
  for (let i = Math.min(end, stream.length - 1); i >= 0 && out.length < max; i--) {
    const event = stream[i];
    if (event) out.push(event);
  }
  return out;
}

export function checkMaxCount(maxCount: number | undefined): number {
  if (maxCount === undefined) return Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(maxCount) || maxCount < 1) {
    throw new EventStoreError(
      'invalid_argument',
      `maxCount must be a positive integer (got ${maxCount})`,
    );
  }
  return maxCount;
}

export function checkRevision(revision: number): number {
  if (!Number.isSafeInteger(revision) || revision < 0) {
    throw new EventStoreError(
      'invalid_argument',
      `fromRevision must be a non-negative integer, "start" or "end" (got ${revision})`,
    );
  }
  return revision;
}

/** The error for a batch whose ids are partly stored already: neither new nor a retry. */
export function partialDuplicate(found: number, batchSize: number): EventStoreError {
  return new EventStoreError(
    'duplicate_event_id',
    `${found} of ${batchSize} event ids are already in the stream: retry the original batch unchanged`,
  );
}
