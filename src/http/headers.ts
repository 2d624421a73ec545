/**
 * The security headers every answer of the service carries, and the Content-Security-Policy and
 * Cache-Control of the API's own answers (the interactive docs have their own: plugins/http-hygiene.ts).
 * One list for the answers fastify makes and for those made outside it (client-errors.ts).
 */
export const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'Referrer-Policy': 'no-referrer',
} as const;

export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";
