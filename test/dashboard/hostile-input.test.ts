import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { describe, it } from 'node:test';
import { JobClient, MemoryStorage, defineJob, silentLogger } from '../../src/index.js';
import { createDashboard } from '../../src/dashboard/index.js';
import { newJobId } from '../../src/jobs/ids.js';
import { recordingLogger } from '../support/recording-logger.js';
import { listen, session } from './helpers.js';

const noop = defineJob({ name: 'dash-hostile-noop', run: (_: { n: number }) => {} });

/** A dashboard over a fresh memory storage with two enqueued jobs, served on loopback (or `host`). */
async function served(options: Parameters<typeof createDashboard>[0] = {}, host?: string) {
  const storage = new MemoryStorage();
  const client = new JobClient({ storage, logger: silentLogger });
  const ids = [await client.enqueue(noop, { n: 1 }), await client.enqueue(noop, { n: 2 })];
  const dashboard = createDashboard({ client, logger: silentLogger, ...options });
  const http = await listen((req, res) => void dashboard.nodeHandler(req, res), host);
  return { storage, client, ids, http, url: http.url.replace('0.0.0.0', '127.0.0.1') };
}

/** A form POST sent in chunks, without a Content-Length, as curl -H 'Transfer-Encoding: chunked' or a proxy may send it. */
function chunkedPost(url: string, path: string, body: string, headers: Record<string, string>): Promise<{ status: number; location: string | undefined }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = httpRequest(
      { host: u.hostname, port: u.port, path, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked', origin: u.origin, ...headers } },
      (res) => {
        answered = true;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
      },
    );
    // A server that answers 413 before the body ends closes the connection under the writes.
    req.on('error', (e) => (answered ? undefined : reject(e)));
    void (async () => {
      const size = Math.max(7, Math.ceil(body.length / 50));
      for (let i = 0; i < body.length && !answered; i += size) {
        await new Promise<void>((r) => req.write(body.slice(i, i + size), () => r()));
      }
      if (!answered) req.end();
    })();
  });
}

describe('dashboard: hostile requests', () => {
  it('normalises `back` before checking it: dot segments, encoded dots and backslashes never redirect off-site', async () => {
    const { client, ids, http, url } = await served();
    try {
      const s = await session(`${url}/jobs/enqueued`);
      const post = async (back: string) => {
        const res = await fetch(`${url}/actions/jobs`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.cookie, origin: url },
          body: new URLSearchParams({ _csrf: s.token, op: 'requeue', from: 'failed', ids: ids[0]!, back }),
        });
        assert.equal(res.status, 303);
        return res.headers.get('location')!;
      };
      for (const back of ['/.//evil.example/x', '/%2e//evil.example/x', '/./\\evil.example', '/x/..//evil.example', '//evil.example', 'https://evil.example/']) {
        const location = await post(back);
        assert.ok(!location.startsWith('//') && !location.includes('evil.example'), `${back} → ${location}`);
        assert.match(location, /^\/\?done=requeue/, back);
      }
      assert.match(await post('/jobs/./enqueued?page=2'), /^\/jobs\/enqueued\?page=2&done=requeue/, 'a local path is kept, normalised');
      assert.equal((await client.get(ids[0]!))?.state, 'enqueued', 'from: failed did not match, nothing changed');
    } finally {
      await http.close();
    }
  });

  it('accepts a chunked POST (no Content-Length) and refuses a chunked one over the size limit with 413', async () => {
    const { client, ids, http, url } = await served();
    try {
      const s = await session(`${url}/jobs/enqueued`);
      const body = new URLSearchParams({ _csrf: s.token, op: 'delete', from: 'enqueued', ids: ids[0]!, back: '/jobs/enqueued' }).toString();
      const res = await chunkedPost(url, '/actions/jobs', body, { cookie: s.cookie });
      assert.deepEqual(res, { status: 303, location: '/jobs/enqueued?done=delete&n=1&of=1' });
      assert.equal((await client.get(ids[0]!))?.state, 'deleted');
      const huge = `${body}&pad=${'x'.repeat(300 * 1024)}`;
      assert.equal((await chunkedPost(url, '/actions/jobs', huge, { cookie: s.cookie })).status, 413);
      assert.equal((await client.get(ids[1]!))?.state, 'enqueued');
    } finally {
      await http.close();
    }
  });

  it('once it sees any proxy header it refuses every request by the local-only rule; authorize or a token still admit', async () => {
    for (const header of ['forwarded', 'x-forwarded-proto', 'x-real-ip', 'cf-connecting-ip', 'true-client-ip']) {
      const logger = recordingLogger();
      const { http, url } = await served({ logger });
      try {
        assert.equal((await fetch(`${url}/`)).status, 200, 'a local request is admitted at first');
        assert.equal((await fetch(`${url}/`, { headers: { [header]: '127.0.0.1' } })).status, 403, header);
        assert.equal((await fetch(`${url}/`)).status, 403, `after ${header}, a plain local request is refused too: the proxy may send none`);
        assert.ok(logger.lines.some((l) => l.includes(`(${header} header)`)), 'the reason is logged');
      } finally {
        await http.close();
      }
    }
    const token = 'hostile-test-token-0123';
    const withToken = await served({ token });
    try {
      await fetch(`${withToken.url}/`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
      assert.equal((await fetch(`${withToken.url}/`)).status, 403, 'no token');
      assert.equal((await fetch(`${withToken.url}/`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.9' } })).status, 200);
      const opened = await fetch(`${withToken.url}/jobs/enqueued?token=${token}&page=1`, { redirect: 'manual' });
      assert.equal(opened.status, 303, 'the token leaves the address bar');
      assert.equal(opened.headers.get('location'), '/jobs/enqueued?page=1');
      const cookie = opened.headers.getSetCookie().find((c) => c.startsWith('kiln_token='))!;
      assert.match(cookie, /HttpOnly/);
      assert.equal((await fetch(`${withToken.url}/jobs/enqueued`, { headers: { cookie: cookie.split(';')[0]! } })).status, 200);
      assert.equal((await fetch(`${withToken.url}/`, { headers: { authorization: 'Bearer wrong-token-of-some-length' } })).status, 403);
    } finally {
      await withToken.http.close();
    }
    const authorized = await served({ authorize: ({ request }) => request.headers.get('x-user') === 'ops' });
    try {
      assert.equal((await fetch(`${authorized.url}/`, { headers: { 'x-forwarded-for': '203.0.113.9', 'x-user': 'ops' } })).status, 200);
      assert.equal((await fetch(`${authorized.url}/`, { headers: { 'x-forwarded-for': '203.0.113.9' } })).status, 403);
    } finally {
      await authorized.http.close();
    }
    assert.throws(() => createDashboard({ storage: new MemoryStorage(), token: 'short' }), /token: must be a string of 16/);
  });

  it('refuses a local request to a server listening on every interface (0.0.0.0) unless authorize or a token admits it', async () => {
    const open = await served({}, '0.0.0.0');
    try {
      assert.equal((await fetch(`${open.url}/`)).status, 403);
    } finally {
      await open.http.close();
    }
    const withAuthorize = await served({ authorize: () => true }, '0.0.0.0');
    try {
      assert.equal((await fetch(`${withAuthorize.url}/`)).status, 200);
    } finally {
      await withAuthorize.http.close();
    }
  });

  it('shows a time no Date can hold as text: the scheduled page and the job page render, and the job can be deleted', async () => {
    const { storage, client, http, url } = await served();
    try {
      const now = Date.now();
      const ids = [1e300, 8.64e15 + 1].map(() => newJobId(now));
      // Written behind the client's back, as an older version or another tool could have done.
      await storage.createJobs(
        [1e300, 8.64e15 + 1].map((runAt, i) => ({
          id: ids[i]!,
          name: noop.name,
          queue: 'default',
          args: '{"n":3}',
          state: { name: 'scheduled' as const, at: now, data: { runAt } },
          createdAt: now,
          runAt,
          parameters: { scheduledAt: runAt },
        })),
        { now },
      );
      const scheduled = await fetch(`${url}/jobs/scheduled`);
      assert.equal(scheduled.status, 200);
      assert.match(await scheduled.text(), /not a valid time/);
      const page = await fetch(`${url}/job/${ids[0]}`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /1e\+300 \(not a valid time\)/);
      const s = await session(`${url}/jobs/scheduled`);
      const res = await fetch(`${url}/actions/jobs`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: s.cookie, origin: url },
        body: new URLSearchParams([['_csrf', s.token], ['op', 'delete'], ['from', 'scheduled'], ['ids', ids[0]!], ['ids', ids[1]!]]),
      });
      assert.equal(res.headers.get('location'), '/?done=delete&n=2&of=2');
      assert.equal((await client.get(ids[0]!))?.state, 'deleted');
    } finally {
      await http.close();
    }
  });

  it('answers a failure with a 500 page that holds a reference, not the error text; the log has both', async () => {
    const logger = recordingLogger();
    const storage = new MemoryStorage();
    const failing = Object.assign(Object.create(storage) as MemoryStorage, {
      statistics: () => Promise.reject(new Error('connect to postgres://admin:hunter2@db failed')),
    });
    const dashboard = createDashboard({ storage: failing, client: new JobClient({ storage, logger: silentLogger }), logger });
    const http = await listen((req, res) => void dashboard.nodeHandler(req, res));
    try {
      const res = await fetch(`${http.url}/`);
      assert.equal(res.status, 500);
      const text = await res.text();
      assert.doesNotMatch(text, /hunter2|postgres/);
      const reference = /reference ([0-9a-f]{12})/.exec(text)?.[1];
      assert.ok(reference, text);
      assert.ok(logger.lines.some((l) => l.includes(reference) && l.includes('hunter2')), 'logged with the reference');
    } finally {
      await http.close();
    }
  });
});
