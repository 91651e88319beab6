import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve, sep } from "node:path";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** Where the built web app lives (Vite's output, normally `dist/ui`). */
export interface UiRoutesOptions {
  /** Directory holding `index.html` and the hashed `assets/`. */
  readonly root: string;
}

/** Content types of the files Vite emits; anything else is served as octet-stream. */
export const UI_CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

/** Paths that belong to the server's own endpoints and never fall back to the app. */
const SERVER_PREFIXES = ["/api/", "/-/", "/metrics", "/federate"];

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Relay Monitor: web UI not built</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;line-height:1.5">
<h1>The web UI has not been built</h1>
<p>This server answers the Prometheus HTTP API under <code>/api/v1/</code>, but the files of the web app
were not found. Build them with <code>npm run build</code> (which runs <code>vite build</code>) and reload
this page.</p>
</body></html>
`;

interface CachedFile {
  readonly body: Buffer;
  readonly etag: string;
  readonly mtimeMs: number;
}

/**
 * Serves the built web app: static files with their content types, hashed files under `assets/`
 * as immutable, `index.html` as `no-cache`, and `index.html` again for any other path that is not
 * one of the server's own (`/api/`, `/-/`, `/metrics`, `/federate`) and has no file extension, so
 * the app's history routes can be shared and reloaded. When the app was not built every page
 * answers 503 with a page that says how to build it.
 */
export async function uiRoutes(app: FastifyInstance, opts: UiRoutesOptions): Promise<void> {
  const root = resolve(opts.root);
  const cache = new Map<string, CachedFile>();

  const load = async (file: string): Promise<CachedFile | undefined> => {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(file);
    } catch {
      return undefined;
    }
    if (!st.isFile()) return undefined;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs) return hit;
    const body = await readFile(file);
    const entry = {
      body,
      etag: `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`,
      mtimeMs: st.mtimeMs,
    };
    cache.set(file, entry);
    return entry;
  };

  const send = (
    req: FastifyRequest,
    reply: FastifyReply,
    f: CachedFile,
    type: string,
    cacheControl: string,
  ) => {
    reply.header("content-type", type).header("cache-control", cacheControl).header("etag", f.etag);
    reply.header("x-content-type-options", "nosniff");
    if (req.headers["if-none-match"] === f.etag) return reply.status(304).send();
    return reply.send(f.body);
  };

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = decodePath(req.url);
    if (path === undefined) return reply.status(400).type("text/plain").send("bad path\n");
    if (SERVER_PREFIXES.some((p) => path === p.replace(/\/$/, "") || path.startsWith(p))) {
      return reply.callNotFound();
    }
    const index = await load(join(root, "index.html"));
    if (!index) {
      return reply
        .status(503)
        .header("cache-control", "no-store")
        .type("text/html; charset=utf-8")
        .send(NOT_BUILT);
    }
    const rel = normalize(path).replace(/^[/\\]+/, "");
    if (rel !== "" && !rel.split(/[/\\]/).some((seg) => seg.startsWith("."))) {
      const file = join(root, rel);
      if (file.startsWith(root + sep)) {
        const f = await load(file);
        if (f) {
          const type = UI_CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
          const immutable = rel.startsWith(`assets${sep}`) || rel.startsWith("assets/");
          return send(req, reply, f, type, immutable ? "public, max-age=31536000, immutable" : "no-cache");
        }
      }
    }
    if (extname(path) !== "") return reply.callNotFound();
    return send(req, reply, index, UI_CONTENT_TYPES[".html"]!, "no-cache");
  };

  app.get("/", handler);
  app.get("/*", handler);
}

/** The URL's path, percent-decoded; undefined when it cannot be decoded or holds a NUL. */
function decodePath(url: string): string | undefined {
  const q = url.indexOf("?");
  const raw = q < 0 ? url : url.slice(0, q);
  try {
    const p = decodeURIComponent(raw);
    return p.includes("\0") ? undefined : p;
  } catch {
    return undefined;
  }
}
