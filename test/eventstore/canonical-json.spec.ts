import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalJson, eventHash } from '../../src/eventstore/hash-chain.ts';
import type { EventMetadata } from '../../src/eventstore/port.ts';

// The first implementation, kept verbatim: every hash stored so far was computed with it, so a
// faster one must produce exactly the same strings, or `ledger verify` would call old events
// altered.
function referenceCanonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(referenceCanonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonicalJson(v)}`).join(',')}}`;
}

function referenceEventHash(
  prevHash: string,
  event: {
    streamId: string;
    revision: number;
    id: string;
    type: string;
    data: unknown;
    metadata: EventMetadata;
  },
): string {
  const { prevHash: _p, hash: _h, ...metadata } = event.metadata;
  const body = referenceCanonicalJson({
    streamId: event.streamId,
    revision: event.revision,
    id: event.id.toLowerCase(),
    type: event.type,
    data: event.data,
    metadata,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

// JSON-like values with undefined members, sparse arrays and awkward keys and strings.
const { value: jsonish } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string({ unit: 'binary' }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.sparseArray(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('value'), { maxKeys: 5 }),
  ),
}));

describe('canonical JSON and event hashes', () => {
  it('canonicalJson writes exactly what the first implementation wrote', () => {
    fc.assert(
      fc.property(jsonish, (value) => {
        expect(canonicalJson(value)).to.equal(referenceCanonicalJson(value));
      }),
      { numRuns: 2000 },
    );
  });

  it('eventHash is exactly the first implementation’s hash', () => {
    fc.assert(
      fc.property(
        fc.record({
          streamId: fc.string(),
          revision: fc.nat(),
          id: fc.uuid(),
          type: fc.string(),
          data: jsonish,
          metadata: fc.dictionary(fc.string({ maxLength: 8 }), jsonish, { maxKeys: 6 }),
          prevHash: fc.string(),
          hash: fc.option(fc.string(), { nil: undefined }),
        }),
        (e) => {
          const metadata = {
            ...e.metadata,
            prevHash: e.prevHash,
            ...(e.hash === undefined ? {} : { hash: e.hash }),
          } as EventMetadata;
          const event = { ...e, id: e.id.toUpperCase(), metadata };
          expect(eventHash(e.prevHash, event)).to.equal(referenceEventHash(e.prevHash, event));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
