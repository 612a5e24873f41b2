/**
 * A static file server for a built site, like any plain static host: GET and HEAD of files under
 * one directory (a directory serves its index.html), a content type by extension, and no other
 * headers unless `isolated` asks for the two that make a page cross-origin isolated (so it may use
 * SharedArrayBuffer: the visualizer's several workers, web/README.md "Several workers"). Listens on an
 * ephemeral port of 127.0.0.1.
 */
import { createServer } from 'node:http';
import { createReadStream, statSync, type Stats } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.yaml': 'application/yaml; charset=utf-8',
  '.yml': 'application/yaml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** The headers that make a page cross-origin isolated (what a host must send for several workers). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

export interface Served {
  /** `http://127.0.0.1:<port>/`, with the trailing slash. */
  url: string;
  close(): Promise<void>;
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

export function serve(dir: string, opts: { isolated?: boolean } = {}): Promise<Served> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const fail = (code: number, text: string) => {
      res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : `${text}\n`);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'method not allowed');
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return fail(400, 'bad request');
    }
    let file = resolve(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return fail(404, 'not found');
    let st = statOrNull(file);
    if (st?.isDirectory()) {
      file = join(file, 'index.html');
      st = statOrNull(file);
    }
    if (!st?.isFile()) return fail(404, 'not found');
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': st.size,
      ...(opts.isolated ? ISOLATION_HEADERS : {}),
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      if (addr === null || typeof addr === 'string') return fail(new Error('server has no port'));
      ok({
        url: `http://127.0.0.1:${addr.port}/`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
