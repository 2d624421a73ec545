import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { servicesFor } from '../../src/app.js';
import { madeBy } from '../../src/application/commands/run.js';
import { systemContext } from '../../src/application/context.js';
import { loadConfig } from '../../src/config.js';
import { signingKeyFromPem } from '../../src/infrastructure/audit/checkpoints.js';
import { testDatabase } from '../support/helper.js';

t.test('a signed checkpoint sets the last-checkpoint time in the metrics', async (t) => {
  const database = await testDatabase(t);
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const services = servicesFor(database, loadConfig({ LOG_LEVEL: 'silent' }), signingKeyFromPem(pem));
  const gauge = async () =>
    /^registry_audit_last_checkpoint_timestamp_seconds (\S+)$/m.exec((await services.metrics.scrape()).body)?.[1] ?? null;
  t.equal(await gauge(), null, 'no checkpoint yet: no time');
  const checkpoint = madeBy(await services.commands.auditCheckpoints.sign(systemContext('test checkpoint')));
  const found = await gauge();
  t.equal(
    Number(found),
    new Date(checkpoint.signedAt).getTime() / 1000,
    `the time of the checkpoint just signed (${found} for ${checkpoint.signedAt})`,
  );
});
