import { expect } from 'chai';
import { verifyHashChains, withHashChain } from '../../src/eventstore/hash-chain.ts';
import { MemoryEventStore } from '../../src/eventstore/memory.ts';
import { WrongExpectedVersion } from '../../src/eventstore/port.ts';

describe('hash chain: remembered stream tails', () => {
  it('two writers (two processes) alternating on one stream keep one valid chain', async () => {
    const base = new MemoryEventStore();
    const a = withHashChain(base);
    const b = withHashChain(base);
    let revision = (await a.append('account-1', [{ type: 'Opened', data: {} }])).nextRevision;
    for (let i = 0; i < 10; i++) {
      const writer = i % 3 === 0 ? a : b;
      revision = (
        await writer.append('account-1', [{ type: 'Deposited', data: { i } }], {
          expectedRevision: revision,
        })
      ).nextRevision;
    }
    const report = await verifyHashChains(base);
    expect(report.problems).to.deep.equal([]);
    expect(report.events).to.equal(11);
    expect(report.unchained).to.equal(0);
  });

  it('a remembered tail that another writer moved past is refused and writes nothing', async () => {
    const base = new MemoryEventStore();
    const a = withHashChain(base);
    const b = withHashChain(base);
    const first = await a.append('account-1', [{ type: 'Opened', data: {} }]);
    await b.append('account-1', [{ type: 'Deposited', data: {} }], {
      expectedRevision: first.nextRevision,
    });
    let thrown: unknown;
    try {
      // `a` remembers revision 0 and would chain onto it without reading.
      await a.append('account-1', [{ type: 'Withdrawn', data: {} }], {
        expectedRevision: first.nextRevision,
      });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).to.be.instanceOf(WrongExpectedVersion);
    const after = await a.append('account-1', [{ type: 'Withdrawn', data: {} }], {
      expectedRevision: 1,
    });
    expect(after.nextRevision).to.equal(2);
    expect((await verifyHashChains(base)).problems).to.deep.equal([]);
  });
});
