import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Instruction {
  op: string;
  args: string;
}
export interface Stage {
  from: string;
  name: string | null;
  steps: Instruction[];
}

/** The Dockerfile's stages: comments dropped, continuation lines joined, instructions in order. */
export function dockerfileStages(file = path.join(ROOT, 'Dockerfile')): Stage[] {
  const text = readFileSync(file, 'utf8').replace(/\\\r?\n/g, ' ');
  const stages: Stage[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const op = m[1].toUpperCase();
    const args = m[2].replace(/\s+/g, ' ').trim();
    if (op === 'FROM') {
      const [from, as, name] = args.split(' ');
      stages.push({ from: from ?? '', name: as?.toUpperCase() === 'AS' ? (name ?? null) : null, steps: [] });
    } else {
      stages.at(-1)?.steps.push({ op, args });
    }
  }
  return stages;
}

/** A COPY instruction: its sources, destination and `--from` stage (null: the build context). */
export function copyOf(step: Instruction): { from: string | null; sources: string[]; dest: string } {
  const parts = step.args.split(' ');
  const flags = parts.filter((p) => p.startsWith('--'));
  const rest = parts.filter((p) => !p.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length) ?? null;
  return { from, sources: rest.slice(0, -1), dest: rest.at(-1) ?? '' };
}
