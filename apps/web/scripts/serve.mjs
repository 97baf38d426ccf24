#!/usr/bin/env node
// `pnpm web`: serves the built site (apps/web/dist) on 127.0.0.1 — a plain static server, nothing else. The browser
// tests start the same server on a free port (startServer).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Serves `root` on 127.0.0.1:`port` (0: a free port). Resolves to { server, url }. */
export function startServer(root, port = 0) {
  const base = resolve(root);
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      let file = normalize(join(base, path));
      if (file !== base && !file.startsWith(base + sep)) throw Object.assign(new Error('outside'), { status: 403 });
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      await stat(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
      createReadStream(file).pipe(res);
    } catch (err) {
      res.writeHead(err?.status ?? 404, { 'content-type': 'text/plain' });
      res.end(err?.status === 403 ? 'forbidden' : 'not found');
    }
  });
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveStart({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dist = fileURLToPath(new URL('../dist/', import.meta.url));
  try {
    await stat(join(dist, 'index.html'));
  } catch {
    console.error(`error: ${dist}index.html is missing: run pnpm build first`);
    process.exit(2);
  }
  const port = Number(process.env.PORT ?? 5173);
  const { url } = await startServer(dist, port);
  console.log(`DaSS.ts in the browser: ${url}`);
  console.log(`automation example: ${url}?model=stories260K&method=dass&sparsity=2:4&nsamples=16&seqlen=128&seed=0&autorun=1`);
}
