import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { usingPostgres } from './basics.js';
import { scratchFolder, seedDataDir } from './pglite-template.js';
import { scratchForService } from './scratch-database.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Builds dist/ when it is missing or older than the sources, as `npm start` does (CI builds before the tests). */
export function ensureBuilt(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-if-stale.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

export interface ServerProcess {
  proc: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** What was written to stdout alone (the JSON log). */
  stdout(): string;
  /** Resolves with the exit code (or the signal's name). */
  exited: Promise<number | string>;
  /** Resolves with the base URL once the server logs "ready"; rejects if it exits first. */
  ready: Promise<string>;
}

/** Starts `node dist/server.js` with exactly this environment (plus PATH); `root`: another copy of the service. */
export function startServer(env: Record<string, string>, root = ROOT): ServerProcess {
  const proc = spawn(process.execPath, [path.join(root, 'dist/server.js')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  let resolveReady: (url: string) => void = () => {};
  let rejectReady: (err: Error) => void = () => {};
  const ready = new Promise<string>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => {}); // callers that expect a failed start do not await it
  let pending = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    stdout += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'ready' && entry.url) resolveReady(entry.url);
      } catch {
        // not a log line
      }
    }
  });
  proc.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    proc.on('exit', (code, signal) => {
      rejectReady(new Error(`the server exited (${code ?? signal}) before it was ready:\n${out}`));
      resolve(code ?? signal ?? -1);
    });
  });
  return { proc, output: () => out, stdout: () => stdout, exited, ready };
}

/** The subset of tap's Test these helpers need. */
interface TestLike {
  teardown(fn: () => unknown): void;
}

/** Kills the server if it still runs when `t` ends, so a failed test never leaves one behind. */
export function owned(t: TestLike, server: ServerProcess): ServerProcess {
  t.teardown(() => {
    if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
  });
  return server;
}

/**
 * An embedded data folder for a server process, `er-<name>-…`, holding a copy of the tests' migrated
 * template (no initdb in the server, 10-40 s on a loaded machine; the server still applies the
 * migrations itself, as on every start); removed when `t` ends.
 */
export async function seededDataDir(t: TestLike, name: string): Promise<string> {
  const dir = scratchFolder(`er-${name}-`);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await seedDataDir(dir);
  return dir;
}

/**
 * The database a server process runs on, as its environment: in the PostgreSQL run of the suite a
 * scratch database (created as the owner, migrated by the server through DATABASE_MIGRATION_URL,
 * served as DATABASE_URL's role, dropped when `t` ends), else a seeded embedded folder.
 */
export async function serverDatabase(t: TestLike, name: string): Promise<Record<string, string>> {
  if (!usingPostgres) return { DATA_DIR: await seededDataDir(t, name) };
  const db = await scratchForService(`er_${name.replaceAll('-', '_')}`);
  t.teardown(db.drop);
  return { DATABASE_URL: db.appUrl, DATABASE_MIGRATION_URL: db.ownerUrl };
}

/** A JSON POST whose body arrives in two halves, so it is in flight until `finish()` sends the rest. */
export function slowPost(url: string, body: string, headers: Record<string, string>, agent?: http.Agent) {
  const req = http.request(url, {
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', ...headers, 'content-length': Buffer.byteLength(body) },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return { response, finish: () => req.end(body.slice(half)) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A GET on a connection of its own whose headers are sent all but the blank line that ends them: the
 * server has a request in transmission on it (not an idle connection) until `finish()` sends the
 * rest. `answer` resolves with the raw bytes the server sent before the connection closed.
 */
export function halfSentRequest(url: string, path: string) {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let text = '';
  socket.on('data', (d: Buffer) => {
    text += d.toString('latin1');
  });
  const answer = new Promise<string>((resolve) => {
    socket.on('error', () => {}); // a reset ends it as a close does
    socket.on('close', () => resolve(text));
  });
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\n`);
  return { answer, finish: () => socket.write('\r\n'), destroy: () => socket.destroy() };
}

/** A raw HTTP/1.1 answer: its status, its headers (names in lower case) and its body. */
export function parseAnswer(raw: string) {
  const [head = '', body = ''] = raw.split('\r\n\r\n', 2);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]), headers, body };
}

/** Resolves once the server at `url` refuses new connections: it has stopped listening (its close has begun). */
export async function untilRefused(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(Number(port), hostname);
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });
    if (refused) return;
    await sleep(20);
  }
}
