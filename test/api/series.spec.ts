import { expect } from 'chai';
import express, { type RequestHandler } from 'express';
import { series } from '../../src/api/series.ts';

/** Runs `handler` on a real express app and answers the status and body of `GET /`. */
async function run(handler: RequestHandler): Promise<{ status: number; body: string }> {
  const app = express();
  app.use(handler);
  app.get('/', (_req, res) => {
    res.send(`reached ${String(res.locals.trail)}`);
  });
  app.use(((error: unknown, _req, res, _next) => {
    res.status(500).send(`error ${error instanceof Error ? error.message : String(error)}`);
  }) as express.ErrorRequestHandler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${String(port)}/`);
    return { status: res.status, body: await res.text() };
  } finally {
    server.close();
  }
}

const mark =
  (name: string): RequestHandler =>
  (_req, res, next) => {
    res.locals.trail = `${String(res.locals.trail ?? '')}${name}`;
    next();
  };

describe('api: series of middlewares as one', () => {
  it('runs the handlers in order, then the rest of the app', async () => {
    expect(await run(series([mark('a'), mark('b'), mark('c')]))).to.deep.equal({
      status: 200,
      body: 'reached abc',
    });
  });

  it('gives back a single handler as it is, and an empty series just continues', () => {
    const only = mark('a');
    expect(series([only])).to.equal(only);
    let continued = false;
    series([])({} as never, {} as never, () => {
      continued = true;
    });
    expect(continued).to.equal(true);
  });

  it('stops at next(error) and hands the error on', async () => {
    const fail: RequestHandler = (_req, _res, next) => {
      next(new Error('refused'));
    };
    let after = false;
    const later: RequestHandler = (_req, _res, next) => {
      after = true;
      next();
    };
    expect(await run(series([mark('a'), fail, later]))).to.deep.equal({
      status: 500,
      body: 'error refused',
    });
    expect(after).to.equal(false);
  });

  it('treats a thrown error and a rejected promise like next(error)', async () => {
    const throws: RequestHandler = () => {
      throw new Error('thrown');
    };
    const rejects: RequestHandler = async () => {
      await Promise.resolve();
      throw new Error('rejected');
    };
    expect((await run(series([mark('a'), throws]))).body).to.equal('error thrown');
    expect((await run(series([mark('a'), rejects]))).body).to.equal('error rejected');
  });

  it('lets an async handler continue the chain with next()', async () => {
    const later: RequestHandler = async (_req, res, next) => {
      await Promise.resolve();
      res.locals.trail = `${String(res.locals.trail)}!`;
      next();
    };
    expect((await run(series([mark('a'), later, mark('b')]))).body).to.equal('reached a!b');
  });
});
