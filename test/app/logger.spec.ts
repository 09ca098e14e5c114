import { expect } from 'chai';
import { spawnSync } from 'node:child_process';

describe('the process logger', () => {
  it('censors secrets at any depth in every log line of the process', () => {
    const script = `
      import('./src/app/logger.ts').then(({ createLogger }) => {
        const logger = createLogger({ logLevel: 'info' });
        logger.info({ password: 'hunter2-top', req: { body: { new_password: 'hunter2-nested' } } }, 'one');
        logger.child({ component: 'engine' }).warn({ token: 'tok-123', detail: { secret: 'sec-456' } }, 'two');
      });`;
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        env: { ...process.env, NODE_V8_COVERAGE: undefined },
      },
    );
    expect(run.status, run.stderr).to.equal(0);
    const lines = run.stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => l.msg)).to.deep.equal(['one', 'two']);
    for (const secret of ['hunter2-top', 'hunter2-nested', 'tok-123', 'sec-456']) {
      expect(run.stderr).not.to.include(secret);
    }
    expect(lines[0]).to.deep.include({ password: '[redacted]' });
    expect(lines[1]).to.deep.include({ component: 'engine', token: '[redacted]' });
  });
});
