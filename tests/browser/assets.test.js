// The static assets as the component serves them: the banner's weight on the wire, and the
// pages' Content-Security-Policy (which the pages are written to live under).

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';

import { startServer } from './helpers.js';

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

/** GET `path` with raw bytes as sent (Node's fetch would decompress them). */
function raw(path, headers = {}) {
  return new Promise((ok, fail) => {
    const req = request(`${server.base}${path}`, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}

describe('assets', () => {
  test('12. banner.js + banner.css weigh at most 8 KB gzip on the wire', async () => {
    let total = 0;
    const report = [];
    for (const path of ['/banner.js', '/banner.css']) {
      const res = await raw(path, { 'accept-encoding': 'gzip' });
      assert.equal(res.status, 200, path);
      assert.match(res.headers['content-type'] ?? '', path.endsWith('.js') ? /javascript/ : /text\/css/, path);
      report.push(`${path}: ${res.body.length} bytes (${res.headers['content-encoding'] ?? 'identity'})`);
      total += res.body.length;
    }
    assert.ok(total <= 8192, `${total} bytes > 8192: ${report.join(', ')}`);
  });

  test('pages and scripts are served, HTML under the Content-Security-Policy', async () => {
    for (const [path, type] of [
      ['/', /text\/html/],
      ['/admin', /text\/html/],
      ['/shop.js', /javascript/],
      ['/shop.css', /text\/css/],
      ['/admin.js', /javascript/],
      ['/admin.css', /text\/css/],
      ['/demo-analytics.js', /javascript/],
    ]) {
      const res = await raw(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers['content-type'] ?? '', type, path);
      if (type.source.includes('html')) {
        const csp = res.headers['content-security-policy'] ?? '';
        for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]) {
          assert.ok(csp.includes(directive), `${path}: ${directive} in "${csp}"`);
        }
        assert.ok(!/unsafe-inline/.test(csp), `${path}: no unsafe-inline`);
      }
    }
  });
});
