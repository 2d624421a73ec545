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
  /** Whether this start made the bootstrap admin (its token was printed then: newAdminLines()). */
  adminCreated: boolean;
  /** Whether REGISTRY_ADMIN_TOKEN is set. */
  tokenConfigured: boolean;
}

/**
 * The token of the bootstrap admin this start has just made, printed at once, before the service
 * listens: its only copy, which a start that fails or is stopped afterwards (a port taken, Ctrl-C)
 * must not take with it.
 */
export function newAdminLines(token: string): string {
  return [
    '',
    'A first admin was created. Its token, shown this once (only its hash is stored):',
    '',
    `  export REGISTRY_ADMIN_TOKEN=${token}`,
    '',
  ].join('\n');
}

export function firstStartLines(s: FirstStart): string {
  const next = [
    `  curl -s -H "Authorization: Bearer $REGISTRY_ADMIN_TOKEN" ${s.url}/v1/api-clients`,
    'and go on with "An example session" in README.md.',
  ];
  const lines = ['', `Enforcement registry running at ${s.url} (embedded database in ${s.dataDir}).`];
  if (s.adminCreated) {
    lines.push("Next, in another terminal: paste the export line printed above (the first admin's token), then", ...next);
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
