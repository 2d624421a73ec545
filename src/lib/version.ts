import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The full semantic version of this API, from package.json: sent as API-Version on every response. */
export const API_VERSION: string = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')).version;
