// Development only: serve component/guest/assets/ from disk (so a change to the banner or a
// page is visible without rebuilding the component) and proxy everything else to a running
// `fichier serve`. The tests use it only when FICHIER_DEV_ASSETS=1; they must pass against
// the real server without it. FICHIER_DEV_ASSETS_DIR serves another folder (e.g. a copy
// with a deliberate bug, to see a test fail).
//
//   node dev-server.js http://127.0.0.1:8080 [port]

import { readFile, readdir } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ASSETS = process.env.FICHIER_DEV_ASSETS_DIR || resolve(dirname(fileURLToPath(import.meta.url)), '../../component/guest/assets');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const CSP =
  "default-src 'self'; img-src 'self' data: https://analytics.example; style-src 'self'; script-src 'self'; " +
  "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export async function startDevServer(upstream, port = 0) {
  const up = new URL(upstream);
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const files = await readdir(ASSETS);
    const file = path === '/' ? 'shop.html' : path === '/admin' ? 'admin.html' : files.includes(path.slice(1)) ? path.slice(1) : null;
    if (file && (req.method === 'GET' || req.method === 'HEAD')) {
      const body = await readFile(join(ASSETS, file));
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' };
      if (file.endsWith('.html')) headers['content-security-policy'] = CSP;
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const proxied = request(
      { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    proxied.on('error', (e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
    req.pipe(proxied);
  });
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((ok) => server.close(ok));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [upstream = 'http://127.0.0.1:8080', port = '8081'] = process.argv.slice(2);
  const dev = await startDevServer(upstream, Number(port));
  console.log(`dev assets from ${ASSETS} at ${dev.base}/ (API proxied to ${upstream})`);
}
