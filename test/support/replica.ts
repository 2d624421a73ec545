import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

/** The PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) of the local installation: Debian's, the newest major. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  for (const v of majors.sort((a, b) => Number(b) - Number(a))) {
    const dir = path.join(root, v, 'bin');
    if (existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_basebackup'))) return dir;
  }
  return null;
}

export interface PrimaryWithReplica {
  primaryUrl: string;
  replicaUrl: string;
  /** Runs SQL on the replica as superuser (e.g. pg_wal_replay_pause()). */
  dir: string;
  stop(): void;
}

/**
 * A private PostgreSQL primary (initdb in a temp folder, its own pg_hba allowing replication from
 * 127.0.0.1) and a real streaming replica of it made with `pg_basebackup -R`, both on loopback.
 * A private primary rather than the shared cluster: the shared one's pg_hba has no `replication`
 * line, and restarting it to add one would disturb everyone using it. PostgreSQL refuses to run as
 * root, so as root the binaries run as the `postgres` user through runuser.
 */
export async function startPrimaryWithReplica(): Promise<PrimaryWithReplica> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
  const asRoot = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args], { stdio: 'pipe', timeout: 60_000 })
      : execFileSync(path.join(bin, cmd), args, { stdio: 'pipe', timeout: 60_000 });
  const dir = mkdtempSync(path.join(tmpdir(), 'er-replica-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const primary = path.join(dir, 'primary');
  const replica = path.join(dir, 'replica');
  const [p1, p2] = [await freePort(), await freePort()];
  const started: string[] = [];
  const stop = () => {
    for (const d of started.reverse()) {
      try {
        run('pg_ctl', ['-D', d, '-m', 'immediate', '-w', 'stop']);
      } catch {
        /* already stopped */
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // -A trust: initdb's pg_hba then also allows `replication` from 127.0.0.1 without a password
    run('initdb', ['-D', primary, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
    appendFileSync(
      path.join(primary, 'postgresql.conf'),
      [
        `port = ${p1}`,
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = '${dir}'`,
        'wal_level = replica',
        'max_wal_senders = 4',
        'fsync = off',
        'shared_buffers = 32MB',
        'max_connections = 40',
        '',
      ].join('\n'),
    );
    run('pg_ctl', ['-D', primary, '-l', path.join(dir, 'primary.log'), '-w', '-t', '30', 'start']);
    started.push(primary);
    run('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(p1),
      '-U',
      'postgres',
      '-D',
      replica,
      '-R',
      '-X',
      'stream',
      '-c',
      'fast',
      '--no-sync',
    ]);
    // the copied postgresql.conf names the primary's port; postgresql.auto.conf wins
    appendFileSync(path.join(replica, 'postgresql.auto.conf'), `port = ${p2}\nhot_standby = on\n`);
    run('pg_ctl', ['-D', replica, '-l', path.join(dir, 'replica.log'), '-w', '-t', '30', 'start']);
    started.push(replica);
  } catch (err) {
    stop();
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`cannot start primary and replica: ${e.stderr?.toString() ?? e.message}`);
  }
  return {
    primaryUrl: `postgres://postgres@127.0.0.1:${p1}/postgres`,
    replicaUrl: `postgres://postgres@127.0.0.1:${p2}/postgres`,
    dir,
    stop,
  };
}
