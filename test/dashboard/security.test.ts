import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { JobClient, MemoryStorage, defineJob, silentLogger } from '../../src/index.js';
import { createDashboard, isLocalRequest, startDashboard, type RunningDashboard } from '../../src/dashboard/index.js';
import { listen, session } from './helpers.js';

const noop = defineJob({ name: 'dash-sec-noop', run: (_: { n: number }) => {} });

async function seeded() {
  const storage = new MemoryStorage();
  const client = new JobClient({ storage, logger: silentLogger });
  const id = await client.enqueue(noop, { n: 1 });
  return { storage, client, id };
}

describe('dashboard authorization', () => {
  it('admits loopback requests with a loopback Host and no proxy header, and nothing else', () => {
    const req = (host: string, headers: Record<string, string> = {}) => new Request(`http://${host}/`, { headers: { host, ...headers } });
    assert.equal(isLocalRequest(req('127.0.0.1:4747'), '127.0.0.1'), true);
    assert.equal(isLocalRequest(req('localhost:4747'), '::1'), true);
    assert.equal(isLocalRequest(req('[::1]:4747'), '::ffff:127.0.0.1'), true);
    assert.equal(isLocalRequest(req('127.0.0.1'), '10.1.2.3'), false, 'remote socket');
    assert.equal(isLocalRequest(req('127.0.0.1'), undefined), false, 'unknown socket');
    assert.equal(isLocalRequest(req('evil.example:4747'), '127.0.0.1'), false, 'DNS rebinding: foreign Host');
    assert.equal(isLocalRequest(req('127.0.0.1', { 'x-forwarded-for': '127.0.0.1' }), '127.0.0.1'), false, 'relayed by a proxy');
    assert.equal(isLocalRequest(req('127.0.0.1', { forwarded: 'for=127.0.0.1' }), '127.0.0.1'), false);
  });

  it('refuses a request from a remote socket address (10.1.2.3) by default, and admits it with authorize', async () => {
    const { storage } = await seeded();
    for (const [authorize, expected] of [
      [undefined, 403],
      [() => true, 200],
      [({ isLocal }: { isLocal: boolean }) => isLocal, 403],
    ] as const) {
      const dashboard = createDashboard({ storage, authorize, logger: silentLogger });
      const seen: Array<string | undefined> = [];
      const http = await listen((req, res) => {
        Object.defineProperty(req.socket, 'remoteAddress', { value: '10.1.2.3', configurable: true });
        seen.push(req.socket.remoteAddress);
        void dashboard.nodeHandler(req, res);
      });
      try {
        for (const path of ['/', '/jobs/enqueued', '/api/stats', '/assets/app.js']) {
          const res = await fetch(http.url + path);
          assert.equal(res.status, expected, `${path} with authorize ${String(authorize)}`);
          if (expected === 403) assert.match(await res.text(), /local requests only|not allowed/);
        }
        assert.equal(seen[0], '10.1.2.3');
      } finally {
        await http.close();
      }
    }
  });

  it('refuses to listen on a non-loopback interface without authorize or token; with a token, admits only requests that carry it', async (t) => {
    const address = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
    if (!address) return t.skip('no non-loopback IPv4 interface here');
    const { storage } = await seeded();
    await assert.rejects(startDashboard({ storage, port: 0, host: address, logger: silentLogger }), /host: .* is not a loopback address/);
    const token = 'a-token-of-24-characters';
    const running = await startDashboard({ storage, port: 0, host: address, token, logger: silentLogger });
    try {
      assert.equal((await fetch(running.url)).status, 403);
      assert.equal((await fetch(running.url, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    } finally {
      await running.close();
    }
  });

  it('treats a failing authorize as a refusal', async () => {
    const { storage } = await seeded();
    const dashboard = createDashboard({ storage, authorize: () => Promise.reject(new Error('db down')), logger: silentLogger });
    const http = await listen((req, res) => void dashboard.nodeHandler(req, res));
    try {
      assert.equal((await fetch(http.url + '/')).status, 403);
    } finally {
      await http.close();
    }
  });

  it('gives authorize the request, the remote address and the Node request', async () => {
    const { storage } = await seeded();
    const calls: Array<{ remoteAddress: string | undefined; hasIncoming: boolean; path: string; isLocal: boolean }> = [];
    const dashboard = createDashboard({
      storage,
      authorize: (r) => {
        calls.push({ remoteAddress: r.remoteAddress, hasIncoming: r.incoming !== undefined, path: new URL(r.request.url).pathname, isLocal: r.isLocal });
        return true;
      },
    });
    const http = await listen((req, res) => void dashboard.nodeHandler(req, res));
    try {
      await (await fetch(http.url + '/queues')).text();
      assert.deepEqual(calls, [{ remoteAddress: '127.0.0.1', hasIncoming: true, path: '/queues', isLocal: true }]);
    } finally {
      await http.close();
    }
  });
});

describe('dashboard actions: anti-forgery, read-only, redirects', () => {
  let running: RunningDashboard;
  let ids: string[];
  let client: JobClient;
  before(async () => {
    const s = await seeded();
    client = s.client;
    ids = [s.id, await client.enqueue(noop, { n: 2 })];
    running = await startDashboard({ client, port: 0, logger: silentLogger });
  });
  after(() => running.close());

  const post = (path: string, body: Record<string, string | string[]>, headers: Record<string, string> = {}) => {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(body)) for (const x of Array.isArray(v) ? v : [v]) form.append(k, x);
    return fetch(running.url + path.replace(/^\//, ''), {
      method: 'POST',
      body: form,
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(running.url).origin, ...headers },
    });
  };

  it('refuses an action without a token, with a wrong token, or with another browser\'s token', async () => {
    const other = await session(`${running.url}jobs/enqueued`);
    const mine = await session(`${running.url}jobs/enqueued`);
    const body = { op: 'delete', from: 'enqueued', ids: ids[0]!, back: '/jobs/enqueued' };
    const attempts = [
      await post('/actions/jobs', body),
      await post('/actions/jobs', body, { cookie: mine.cookie }),
      await post('/actions/jobs', { ...body, _csrf: 'x'.repeat(43) }, { cookie: mine.cookie }),
      await post('/actions/jobs', { ...body, _csrf: other.token }, { cookie: mine.cookie }),
      await post('/actions/jobs', { ...body, _csrf: mine.token }), // token without its cookie
    ];
    for (const res of attempts) {
      assert.equal(res.status, 403);
      assert.match(await res.text(), /anti-forgery token/);
    }
    assert.equal((await client.get(ids[0]!))?.state, 'enqueued', 'nothing changed');
  });

  it('refuses a cross-site form post even with a valid token (Origin check)', async () => {
    const mine = await session(`${running.url}jobs/enqueued`);
    const res = await post('/actions/jobs', { op: 'delete', from: 'enqueued', ids: ids[0]!, _csrf: mine.token }, { cookie: mine.cookie, origin: 'http://evil.example' });
    assert.equal(res.status, 403);
    assert.equal((await client.get(ids[0]!))?.state, 'enqueued');
  });

  it('does an action with a valid token, and redirects only inside the dashboard', async () => {
    const mine = await session(`${running.url}jobs/enqueued`);
    const res = await post('/actions/jobs', { op: 'delete', from: 'enqueued', ids: ids[0]!, _csrf: mine.token, back: '//evil.example/x' }, { cookie: mine.cookie });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/?done=delete&n=1&of=1');
    assert.equal((await client.get(ids[0]!))?.state, 'deleted');
    const again = await post('/actions/jobs', { op: 'delete', from: 'enqueued', ids: ids[0]!, _csrf: mine.token, back: '/jobs/enqueued?page=2' }, { cookie: mine.cookie });
    assert.equal(again.headers.get('location'), '/jobs/enqueued?page=2&done=delete&n=0&of=1', 'the compare-and-set on the state refused it');
  });

  it('refuses GET on actions', async () => {
    const res = await fetch(`${running.url}actions/jobs?op=delete&ids=${ids[1]}`);
    assert.equal(res.status, 404);
    assert.equal((await client.get(ids[1]!))?.state, 'enqueued');
  });

  it('in read-only mode, shows no action and refuses every POST with 403', async () => {
    const ro = await startDashboard({ client, port: 0, readOnly: true, logger: silentLogger });
    try {
      const html = await (await fetch(`${ro.url}jobs/enqueued`)).text();
      assert.doesNotMatch(html, /<form method="post"/);
      assert.doesNotMatch(html, /Delete selected/);
      assert.match(html, /read-only/);
      const res = await fetch(`${ro.url}actions/jobs`, { method: 'POST', body: new URLSearchParams({ op: 'delete', ids: ids[1]! }) });
      assert.equal(res.status, 403);
      assert.equal((await client.get(ids[1]!))?.state, 'enqueued');
    } finally {
      await ro.close();
    }
  });

  it('sends the security headers', async () => {
    const res = await fetch(running.url);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(res.headers.get('set-cookie') ?? '', /kiln_csrf=.*HttpOnly; SameSite=Strict/);
  });
});

describe('dashboard adapters', () => {
  const linksOf = (html: string) => [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);

  it('Express-style middleware mounted under /kiln links under its mount path and passes other paths on', async () => {
    const { storage, client, id } = await seeded();
    const dashboard = createDashboard({ storage, client });
    const http = await listen((req, res) => {
      // What Express does for app.use('/kiln', middleware): strip the mount path, keep it in baseUrl.
      const url = req.url ?? '/';
      if (!url.startsWith('/kiln')) {
        res.end('app');
        return;
      }
      Object.assign(req, { originalUrl: url, baseUrl: '/kiln', url: url.slice('/kiln'.length) || '/' });
      dashboard.middleware(req, res, (error) => {
        res.statusCode = error ? 500 : 404;
        res.end('next');
      });
    });
    try {
      const html = await (await fetch(`${http.url}/kiln/jobs/enqueued`)).text();
      const links = linksOf(html).filter((l) => l.startsWith('/'));
      assert.ok(links.length > 10);
      for (const l of links) assert.ok(l.startsWith('/kiln/'), l);
      assert.ok(links.includes(`/kiln/job/${id}`));
      assert.equal((await fetch(`${http.url}/kiln`)).status, 200);
      assert.equal(await (await fetch(`${http.url}/other`)).text(), 'app');
      assert.match((await fetch(`${http.url}/kiln/`)).headers.get('set-cookie') ?? '', /Path=\/kiln;/);
    } finally {
      await http.close();
    }
  });

  it('middleware used without a path serves basePath and calls next() for the rest; works after a body parser', async () => {
    const { storage, client, id } = await seeded();
    const dashboard = createDashboard({ storage, client, basePath: '/admin/jobs/' });
    const http = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // What express.urlencoded() leaves: the stream read, the form in req.body.
        const body = Object.fromEntries(
          [...new URLSearchParams(Buffer.concat(chunks).toString())].reduce((m, [k, v]) => m.set(k, m.has(k) ? [m.get(k)!, v].flat() : v), new Map<string, string | string[]>()),
        );
        Object.assign(req, { body });
        dashboard.middleware(req, res, () => res.end('next'));
      });
    });
    try {
      assert.equal(await (await fetch(`${http.url}/elsewhere`)).text(), 'next');
      const s = await session(`${http.url}/admin/jobs/jobs/enqueued`);
      assert.ok(linksOf(s.html).includes(`/admin/jobs/job/${id}`));
      const res = await fetch(`${http.url}/admin/jobs/actions/jobs`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.cookie, origin: http.url },
        body: new URLSearchParams({ _csrf: s.token, op: 'delete', from: 'enqueued', ids: id, back: '/jobs/enqueued' }),
      });
      assert.equal(res.status, 303);
      assert.equal(res.headers.get('location'), '/admin/jobs/jobs/enqueued?done=delete&n=1&of=1');
      assert.equal((await client.get(id))?.state, 'deleted');
    } finally {
      await http.close();
    }
  });

  it('Fastify onRequest hook answers on the raw request and reply', async () => {
    const { storage, client, id } = await seeded();
    const dashboard = createDashboard({ storage, client, basePath: '/kiln' });
    let hijacked = 0;
    const http = await listen((req, res) => {
      void dashboard.fastifyHook({ raw: req }, { raw: res, hijack: () => hijacked++ });
    });
    try {
      const s = await session(`${http.url}/kiln/jobs/enqueued`);
      assert.ok(linksOf(s.html).includes(`/kiln/job/${id}`));
      const res = await fetch(`${http.url}/kiln/actions/jobs`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.cookie, origin: http.url },
        body: new URLSearchParams({ _csrf: s.token, op: 'delete', from: 'enqueued', ids: id }),
      });
      assert.equal(res.status, 303);
      assert.equal((await client.get(id))?.state, 'deleted');
      assert.equal(hijacked, 2);
    } finally {
      await http.close();
    }
  });

  it('fetch handler mounted in a Hono app under /kiln', async () => {
    const { storage, client, id } = await seeded();
    const dashboard = createDashboard({ storage, client, basePath: '/kiln' });
    const app = new Hono();
    app.get('/', (c) => c.text('home'));
    app.all('/kiln', (c) => dashboard.fetch(c.req.raw, c.env));
    app.all('/kiln/*', (c) => dashboard.fetch(c.req.raw, c.env));
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as { port: number };
    try {
      const base = `http://127.0.0.1:${port}`;
      assert.equal(await (await fetch(base)).text(), 'home');
      const s = await session(`${base}/kiln/jobs/enqueued`);
      assert.ok(linksOf(s.html).includes(`/kiln/job/${id}`));
      assert.equal((await fetch(`${base}/kiln`)).status, 200);
      assert.equal((await fetch(`${base}/kiln/api/stats`)).headers.get('content-type'), 'application/json');
      // Without Node's bindings the remote address is unknown: refused by default.
      assert.equal((await dashboard.fetch(new Request('http://127.0.0.1/kiln/'))).status, 403);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
