import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LoadResult, percentile } from './load.js';

/** Debian's pgbench (postgresql-client / contrib), on PATH or in the server's bin folder. */
export function findPgbench(): string | null {
  try {
    return execFileSync('which', ['pgbench'], { encoding: 'utf8' }).trim() || null;
  } catch {
    for (const v of ['17', '16', '15']) {
      const p = `/usr/lib/postgresql/${v}/bin/pgbench`;
      if (existsSync(p)) return p;
    }
    return null;
  }
}

/**
 * Runs a pgbench script for `seconds` with `clients` connections in prepared mode (parse once,
 * then bind/execute: the fastest way PostgreSQL can be driven, i.e. the physical limit) and reads
 * the per-transaction log for p50/p99.
 */
export async function runPgbench(bin: string, url: string, scripts: string[], clients: number, seconds: number): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'er-pgbench-'));
  try {
    const args = ['-n', '-M', 'prepared', '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(seconds)];
    scripts.forEach((script, i) => {
      const file = path.join(dir, `script${i}.sql`);
      writeFileSync(file, script);
      args.push('-f', file); // several scripts: pgbench picks one at random per transaction
    });
    args.push('-l', `--log-prefix=${path.join(dir, 'tx')}`, url);
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(bin, args, { cwd: dir });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString('utf8');
      });
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString('utf8');
      });
      child.on('exit', (c) => resolve({ code: c ?? 1, stdout: out, stderr: err }));
    });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
    const failed = /number of failed transactions: (\d+)/.exec(stdout);
    const latencies: number[] = [];
    for (const f of readdirSync(dir).filter((n) => n.startsWith('tx'))) {
      for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
        const us = line.split(' ')[2];
        if (us) latencies.push(Number(us) / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    const result: LoadResult = {
      requests: latencies.length,
      errors: (failed ? Number(failed[1]) : 0) + (code === 0 ? 0 : 1),
      throughput: tps ? Number(tps[1]) : Number.NaN,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
    };
    if (code !== 0 || !tps) result.firstError = `pgbench exit ${code}: ${stderr.slice(0, 500)}`;
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
