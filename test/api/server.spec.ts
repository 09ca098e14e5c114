import { expect } from 'chai';
import { startServer } from '../../src/api/server.ts';

describe('api server', () => {
  it('listens on a free port and reports its URL', async () => {
    const server = await startServer((_req, res) => res.end('hi'), { port: 0, host: '127.0.0.1' });
    try {
      expect(server.port).to.be.above(0);
      expect(server.url).to.equal(`http://127.0.0.1:${server.port}`);
      expect(await (await fetch(server.url)).text()).to.equal('hi');
    } finally {
      await server.close();
    }
  });

  it('lets an in-flight request finish on close, then refuses new connections', async () => {
    let release = (): void => undefined;
    let arrived = (): void => undefined;
    const requestArrived = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const server = await startServer(
      (_req, res) => {
        arrived();
        release = () => res.end('finished');
      },
      { port: 0, host: '127.0.0.1' },
    );
    const inFlight = fetch(server.url);
    await requestArrived;
    const closed = server.close();
    release();
    const res = await inFlight;
    expect(await res.text()).to.equal('finished');
    await closed;
    let refused = false;
    try {
      await fetch(server.url);
    } catch {
      refused = true;
    }
    expect(refused).to.be.true;
  });

  it('can be closed twice', async () => {
    const server = await startServer((_req, res) => res.end(), { port: 0, host: '127.0.0.1' });
    await server.close();
    await server.close();
  });

  it('rejects when the port is taken', async () => {
    const first = await startServer((_req, res) => res.end(), { port: 0, host: '127.0.0.1' });
    try {
      let code: unknown;
      try {
        await startServer((_req, res) => res.end(), { port: first.port, host: '127.0.0.1' });
      } catch (error) {
        code = (error as { code?: unknown }).code;
      }
      expect(code).to.equal('EADDRINUSE');
    } finally {
      await first.close();
    }
  });
});
