import { expect } from 'chai';
import fc from 'fast-check';
import { AppendMap } from '../../src/domain/append-map.ts';

const entries = <V>(map: AppendMap<V>): [string, V][] => [...map];

describe('AppendMap (append-only persistent map)', () => {
  it('appends from the newest view: each view keeps its own length', () => {
    const a = AppendMap.empty<number>();
    const b = a.set('x', 1);
    const c = b.set('y', 2);
    expect(a.size).to.equal(0);
    expect(a.get('x')).to.equal(undefined);
    expect(entries(b)).to.deep.equal([['x', 1]]);
    expect(entries(c)).to.deep.equal([
      ['x', 1],
      ['y', 2],
    ]);
    expect(c.has('y')).to.equal(true);
    expect(b.has('y')).to.equal(false);
    expect([...c.keys()]).to.deep.equal(['x', 'y']);
    expect([...c.values()]).to.deep.equal([1, 2]);
  });

  it('a branch from an older view copies: the newer view is left untouched', () => {
    const base = AppendMap.empty<string>().set('a', 'A');
    const newer = base.set('b', 'B');
    const branch = base.set('c', 'C');
    expect(entries(newer)).to.deep.equal([
      ['a', 'A'],
      ['b', 'B'],
    ]);
    expect(entries(branch)).to.deep.equal([
      ['a', 'A'],
      ['c', 'C'],
    ]);
    expect(entries(base)).to.deep.equal([['a', 'A']]);
    // Both go on growing independently.
    const newer2 = newer.set('d', 'D');
    const branch2 = branch.set('b', 'other');
    expect(newer2.get('b')).to.equal('B');
    expect(branch2.get('b')).to.equal('other');
    expect(newer2.has('c')).to.equal(false);
    expect(branch2.has('d')).to.equal(false);
  });

  it('setting a key again shadows its value for newer views only', () => {
    const one = AppendMap.empty<string>().set('k', 'v1').set('j', 'w');
    const two = one.set('k', 'v2');
    expect(one.get('k')).to.equal('v1');
    expect(two.get('k')).to.equal('v2');
    expect(two.size).to.equal(2);
    expect(entries(two)).to.deep.equal([
      ['k', 'v2'],
      ['j', 'w'],
    ]);
    expect(two.set('k', 'v2')).to.equal(two);
  });

  it('keys named like Object.prototype members are ordinary keys', () => {
    const map = AppendMap.empty<string>();
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty'])
      expect(map.has(key), key).to.equal(false);
    const set = map.set('__proto__', 'p').set('constructor', 'c');
    expect(set.get('__proto__')).to.equal('p');
    expect(set.get('constructor')).to.equal('c');
    expect(set.has('toString')).to.equal(false);
    const back = AppendMap.from<string>(JSON.parse(JSON.stringify(set)) as Record<string, string>);
    expect(back.get('__proto__')).to.equal('p');
    expect(back.get('constructor')).to.equal('c');
    expect(back.size).to.equal(2);
  });

  it('JSON round trip: a plain object in insertion order, and back', () => {
    const map = AppendMap.empty<{ n: number }>().set('b', { n: 1 }).set('a', { n: 2 });
    const json = JSON.stringify({ map });
    expect(json).to.equal('{"map":{"b":{"n":1},"a":{"n":2}}}');
    const back = AppendMap.from((JSON.parse(json) as { map: Record<string, { n: number }> }).map);
    expect(entries(back)).to.deep.equal(entries(map));
    expect(AppendMap.from(map)).to.equal(map);
    expect(AppendMap.from<number>(undefined).size).to.equal(0);
  });

  it('chai deep equality compares entries', () => {
    const a = AppendMap.empty<number>().set('x', 1).set('y', 2);
    const b = AppendMap.empty<number>().set('x', 1).set('y', 2);
    expect({ m: a }).to.deep.equal({ m: b });
    expect({ m: a }).to.not.deep.equal({ m: b.set('y', 3) });
    expect({ m: a }).to.not.deep.equal({ m: b.set('z', 3) });
    expect(AppendMap.empty()).to.deep.equal(AppendMap.empty());
  });

  it('any mix of appends and branches reads like copying a plain map each time', () => {
    const op = fc.record({
      from: fc.nat(),
      key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
      value: fc.nat(9),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const views: AppendMap<number>[] = [AppendMap.empty()];
        const models: Map<string, number>[] = [new Map<string, number>()];
        for (const { from, key, value } of ops) {
          const i = from % views.length;
          const view = views[i];
          const model = models[i];
          if (view === undefined || model === undefined) throw new Error('no view');
          views.push(view.set(key, value));
          models.push(new Map(model).set(key, value));
        }
        views.forEach((view, i) => {
          expect(entries(view)).to.deep.equal([...(models[i] ?? new Map<string, number>())]);
          expect(view.size).to.equal(models[i]?.size);
        });
      }),
      { numRuns: 300 },
    );
  });
});
