import { createServer, type Server } from 'node:net';
import { listeningGateway } from '../../local/http-gateway.js';
import { quietFreePort } from '../../local/ports.js';

const listenOn = (port: number) =>
  new Promise<Server>((resolveListen, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen(server));
  });
const closed = (server: { close(done: () => void): unknown }) => new Promise<void>((resolveClose) => server.close(() => resolveClose()));

describe('local ports', () => {
  it('picks a free port below the range the system hands out, past one that is taken', async () => {
    const taken = await listenOn(await quietFreePort());
    try {
      const port = (taken.address() as { port: number }).port;
      expect(port).toBeGreaterThanOrEqual(20_000);
      expect(port).toBeLessThan(32_000);
      // The first pick is the taken port, the next one free.
      const picks = [(port - 20_000 + 0.5) / 12_000, 0.5];
      const next = await quietFreePort(() => picks.shift() ?? Math.random());
      expect(next).not.toBe(port);
      expect(picks).toHaveLength(0);
    } finally {
      await closed(taken);
    }
  });

  it('listens before the services load, answering 503 with Retry-After until the gateway is served', async () => {
    const gateway = await listeningGateway(0);
    try {
      expect(gateway.port).toBeGreaterThan(0);
      const starting = await fetch(`http://127.0.0.1:${gateway.port}/webhooks/shopify`, { method: 'POST', body: '{}' });
      expect(starting.status).toBe(503);
      expect(starting.headers.get('retry-after')).toBe('1');
      expect(await starting.json()).toEqual({ code: 'starting', message: 'Nudge is starting; please retry shortly' });
      gateway.serve((_request, response) => {
        response.writeHead(202);
        response.end();
      });
      expect((await fetch(`http://127.0.0.1:${gateway.port}/webhooks/shopify`, { method: 'POST', body: '{}' })).status).toBe(202);
    } finally {
      gateway.server.closeAllConnections();
      await closed(gateway.server);
    }
  });
});
