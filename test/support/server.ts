import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';

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
