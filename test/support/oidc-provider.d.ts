/** The part of oidc-provider 9 (it ships no types) that test/support/oidc.ts uses. */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface OidcContext {
    oidc: { client: { clientId: string }; params: Record<string, unknown> };
    body: unknown;
  }
  interface SavedToken {
    save(): Promise<string>;
    expiration: number;
    resourceServer: unknown;
  }
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    registerGrantType(name: string, handler: (ctx: OidcContext) => Promise<void>, params?: string | string[]): void;
    on(event: string, listener: (...args: unknown[]) => void): void;
    AccessToken: new (
      fields: Record<string, unknown>,
    ) => SavedToken;
    ResourceServer: new (
      identifier: string,
      info: Record<string, unknown>,
    ) => unknown;
  }
}
