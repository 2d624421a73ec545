/**
 * What a person who just ran `npm start` reads: a few plain lines on stderr after the JSON `ready`
 * log line on stdout (logs stay JSON on stdout for machines). Printed only on the embedded database
 * and only when firstStartHints() allows it (not with NODE_ENV=production, not with
 * REGISTRY_FIRST_START_HINTS=false); never on PostgreSQL.
 */
export interface FirstStart {
  /** The bound address, e.g. http://127.0.0.1:3000. */
  url: string;
  dataDir: string;
  /** A token made at this start for a new bootstrap admin (its only copy), or null. */
  newAdminToken: string | null;
  /** Whether REGISTRY_ADMIN_TOKEN is set. */
  tokenConfigured: boolean;
}

export function firstStartLines(s: FirstStart): string {
  const next = [
    `  curl -s -H "Authorization: Bearer $REGISTRY_ADMIN_TOKEN" ${s.url}/v1/api-clients`,
    'and go on with "An example session" in README.md.',
  ];
  const lines = ['', `Enforcement registry running at ${s.url} (embedded database in ${s.dataDir}).`];
  if (s.newAdminToken) {
    lines.push(
      'A first admin was created. Its token, shown this once (only its hash is stored):',
      '',
      `  export REGISTRY_ADMIN_TOKEN=${s.newAdminToken}`,
      '',
      'Next, in another terminal: paste that export line, then',
      ...next,
    );
  } else if (s.tokenConfigured) {
    lines.push('Next, with REGISTRY_ADMIN_TOKEN exported in your shell:', ...next);
  } else {
    lines.push(
      'The admin token was printed at the first start. Lost it? Start again with REGISTRY_ADMIN_TOKEN',
      'set (32 or more characters): the bootstrap admin then gets that token.',
    );
  }
  lines.push(
    `Docs (try the API in the browser): ${s.url}/docs`,
    '(These lines go to stderr; REGISTRY_FIRST_START_HINTS=false or NODE_ENV=production turns them off.)',
    '',
  );
  return lines.join('\n');
}

/**
 * The token of a first admin made at a start that then failed (its port taken, say): printed as the
 * process exits, since the next start cannot show it again.
 */
export function unshownTokenLines(token: string): string {
  return [
    '',
    'The service stopped before it was ready, but not before it created a first admin. Its token, shown',
    'this once (only its hash is stored):',
    '',
    `  export REGISTRY_ADMIN_TOKEN=${token}`,
    '',
    'Keep it, put right what the log above names, and start again.',
    '',
  ].join('\n');
}
