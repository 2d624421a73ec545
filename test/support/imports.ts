import type { ImportJob } from '../../src/application/transfer/imports.js';
import { build, json } from './helper.js';

/** An import job as GET /v1/imports/{id} returns it. */
export type Job = ImportJob;

/** The header of an establishments CSV file: every column of the template, in its order. */
export const EST_HEADER =
  'externalReference,municipalityCode,name,kind,street,houseNumber,houseNumberAddition,postalCode,city,kvkNumber,bagId';

/**
 * The app on a fresh database with an officer of GM0363, and how that officer uploads a file, runs it
 * to its end (the worker, in this process) and exports.
 */
export async function setUp(
  t: Parameters<typeof build>[0] & { equal: (a: unknown, b: unknown) => void },
  config: Record<string, string> = {},
) {
  const ctx = await build(t, { config });
  const officer = await ctx.client('officer', 'GM0363');
  async function upload(body: string | Buffer, query: string, contentType = 'text/csv', auth: Record<string, string> = officer.auth) {
    return ctx.app.inject({
      method: 'POST',
      url: `/v1/imports?${query}`,
      headers: { ...auth, 'content-type': contentType },
      payload: body,
    });
  }
  /** Uploads, runs the worker until the job is done, and returns the job. */
  async function importFile(body: string | Buffer, query: string, contentType = 'text/csv'): Promise<Job> {
    const res = await upload(body, query, contentType);
    if (res.statusCode !== 202) throw new Error(`upload answered ${res.statusCode}: ${res.body}`);
    t.equal(res.headers.location, `/v1/imports/${json<Job>(res).id}`);
    while (await ctx.services.imports.worker.runOnce()) {
      // until no job waits
    }
    const got = await ctx.app.inject({ url: res.headers.location as string, headers: officer.auth });
    return json<Job>(got);
  }
  /** The job, asked for every 10 ms (the worker runs in the background) until it has ended or `tries` run out. */
  async function jobWhenEnded(id: string, tries = 1000): Promise<Job> {
    const read = async () => json<Job>(await ctx.app.inject({ url: `/v1/imports/${id}`, headers: officer.auth }));
    let job = await read();
    for (let i = 0; i < tries && (job.state === 'queued' || job.state === 'running'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      job = await read();
    }
    return job;
  }
  async function exportOf(type: string, format = 'csv', auth = officer.auth, extra = '') {
    return ctx.app.inject({ url: `/v1/exports/${type}?format=${format}${extra}`, headers: auth });
  }
  return { ...ctx, officer, upload, importFile, jobWhenEnded, exportOf };
}
