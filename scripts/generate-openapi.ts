import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildApp, servicesFor } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { noDatabase } from '../src/infrastructure/db/client.js';

/** `npm run openapi`: writes the document the app serves to openapi/openapi.json (no database needed). */
const config = loadConfig({ ...process.env, PUBLIC_BASE_URL: undefined, PORT: undefined });
const services = servicesFor(noDatabase(), config);
const app = await buildApp({ config, services });
await app.ready();
const target = path.resolve(import.meta.dirname, '../openapi/openapi.json');
writeFileSync(target, `${JSON.stringify(app.swagger(), null, 2)}\n`);
await app.close();
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
