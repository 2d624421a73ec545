import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import type { FastifyRequest } from 'fastify';
import { type FastifyPluginAsyncZod, validatorCompiler } from 'fastify-type-provider-zod';
import type { Services } from '../../application/services.js';
import { COLUMNS, csvCells, type FlatRow, type RecordType, TEMPLATE_EXAMPLES } from '../../domain/transfer.js';
import { requestFingerprint } from '../../infrastructure/idempotency.js';
import { acceptsAny } from '../../lib/csv.js';
import { mediaTypeOf } from '../../lib/media-type.js';
import { contextOf } from '../plugins/auth.js';
import { canonicalTarget } from '../plugins/idempotency.js';
import { HttpProblem } from '../problem.js';
import {
  ExportParams,
  ExportQuery,
  FileBody,
  ImportJob,
  ImportParams,
  ImportQuery,
  TemplateBody,
  TemplateParams,
} from '../schemas/transfer.js';
import { decodeUpload, type FileFormat } from '../transfer-files.js';
import { AUTH_PROBLEMS, BEARER, closingOnly, ifMatchHeaders, problems, roles } from './operations.js';
import { replay, sendOnce } from './replies.js';

const tags = ['Import and export'];
const CSV_TYPE = 'text/csv; charset=utf-8; header=present';
const NDJSON_TYPE = 'application/x-ndjson; charset=utf-8';

/** The CSV text of rows: `,` (RFC 4180) or `;` (Dutch Excel), CRLF, quoted where a field needs it. */
const csvText = (type: RecordType, rows: FlatRow[], delimiter: ',' | ';') =>
  stringify(
    rows.map((r) => csvCells(type, r)),
    { delimiter, record_delimiter: '\r\n' },
  );

const csvHeader = (type: RecordType, delimiter: ',' | ';') => stringify([[...COLUMNS[type]]], { delimiter, record_delimiter: '\r\n' });

/** Which format a body is, from its Content-Type. */
function formatOf(request: FastifyRequest): FileFormat {
  return mediaTypeOf(request.headers['content-type']) === 'application/x-ndjson' ? 'ndjson' : 'csv';
}

/** An import in another media type: refused before its body is read, so a CSV sent as JSON is not "invalid JSON". */
const notAFile = () =>
  new HttpProblem({ status: 415, code: 'unsupported-media-type', detail: 'Send the file as text/csv or application/x-ndjson.' });

/** The headers plugins/auth.ts puts into an audit entry: X-Audit-Reason and the acting person, validated as on every write. */
const AUDITED_POST_HEADERS = ifMatchHeaders.pick({ 'x-audit-reason': true, 'x-acting-user': true, 'x-acting-user-name': true });

/** Bulk import (jobs), streamed export and the CSV templates: docs/import-export.md. */
const transferRoutes: FastifyPluginAsyncZod<{ services: Services; importLimitBytes: number }> = async (
  app,
  { services, importLimitBytes },
) => {
  // Import files are read as streams, record by record, with their own size limit (IMPORT_BODY_LIMIT_BYTES).
  app.addContentTypeParser(['text/csv', 'application/x-ndjson'], (_request, payload, done) => done(null, payload));

  app.post('/imports', {
    config: { ...roles('officer'), idempotencyLocation: true },
    // The body is the file as a stream, read by decodeUpload; the other parts are validated as usual.
    validatorCompiler: (req) => (req.httpPart === 'body' ? (data: unknown) => ({ value: data }) : validatorCompiler(req as never)),
    preParsing: async (request, _reply, payload) => {
      const type = mediaTypeOf(request.headers['content-type']);
      if (type !== 'text/csv' && type !== 'application/x-ndjson') throw notAFile();
      return payload;
    },
    schema: {
      consumes: ['text/csv', 'application/x-ndjson'],
      body: FileBody,
      operationId: 'startImport',
      summary: 'Import a file of records (bulk import)',
      description: `Uploads a CSV file (RFC 4180, or Dutch Excel's semicolon dialect with a UTF-8 byte-order mark; the separator is read from the header line) or NDJSON of one record type into the officer's municipality, and starts an import job: 202 with its Location. Records refer to each other by the municipality's own references (externalReference, establishmentReference). Every record goes through the same rules, audit trail and notifications as POST and PUT; a record that is already there unchanged is left alone, a changed one is updated. At most ${importLimitBytes} bytes (413 beyond). Columns, formats and codes: docs/import-export.md and the templates.`,
      tags,
      security: BEARER,
      querystring: ImportQuery,
      // The person the upload is made for: the audit entries of the records it writes name them (plugins/auth.ts);
      // the reason goes into the job's own entry, so it is checked as on every other write.
      headers: AUDITED_POST_HEADERS,
      response: {
        202: ImportJob,
        ...problems(400, ...AUTH_PROBLEMS, 413, 415),
      },
    },
    handler: async (request, reply) => {
      const ctx = contextOf(request);
      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > importLimitBytes) {
        throw new HttpProblem({
          status: 413,
          code: 'payload-too-large',
          detail: `An import file may have at most ${importLimitBytes} bytes.`,
        });
      }
      const body = request.body as unknown as AsyncIterable<Buffer> | undefined;
      if (!body || typeof (body as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function') throw notAFile();
      const { recordType, dryRun, mode } = request.query;
      const format = formatOf(request);
      // An Idempotency-Key's fingerprint is the file's: its bytes are hashed as they are read, the digest
      // taken once (a transaction run again after a deadlock asks for it again).
      const hash = createHash('sha256');
      let fingerprint: string | undefined;
      const file = (async function* () {
        for await (const chunk of body) {
          hash.update(chunk);
          yield chunk;
        }
      })();
      const created = await services.imports.submit(
        ctx,
        { recordType, format, dryRun, mode },
        decodeUpload(file, format, recordType, ctx.municipalityCode as string, importLimitBytes),
        () => {
          fingerprint ??= requestFingerprint(request.method, canonicalTarget(request).url, { format, sha256: hash.digest('hex') });
          return fingerprint;
        },
      );
      if (created.replayed) return replay(reply, created.record);
      services.imports.worker.poke();
      return reply.code(202).header('Location', `/v1/imports/${created.value.id}`).send(created.value);
    },
  });

  app.get('/imports/:id', {
    config: roles('officer', 'admin'),
    schema: {
      operationId: 'getImport',
      summary: 'The state, progress and result of an import',
      description:
        'State, records done of the total, the counts so far (created, updated, unchanged, rejected) and every problem found (up to 1000).',
      tags,
      security: BEARER,
      params: ImportParams,
      response: { 200: ImportJob, ...problems(400, ...AUTH_PROBLEMS, 404) },
    },
    handler: async (request) => services.imports.get(contextOf(request), request.params.id),
  });

  app.post('/imports/:id/cancel', {
    config: roles('officer'),
    schema: {
      operationId: 'cancelImport',
      summary: 'Cancel an import',
      description:
        'A queued import is cancelled at once. A running one stops before its next batch: what it already committed stays (the counts say what), nothing more is written. A finished import is a 409.',
      tags,
      security: BEARER,
      params: ImportParams,
      // The cancellation is an audit entry like any write: its reason and acting person are checked as everywhere.
      headers: AUDITED_POST_HEADERS,
      response: { 202: ImportJob, ...problems(400, ...AUTH_PROBLEMS, 404, 409, 413, 415) },
    },
    handler: async (request, reply) => {
      return sendOnce(reply, await services.imports.cancel(contextOf(request), request.params.id), 202);
    },
  });

  app.get('/imports/templates/:template', {
    schema: {
      operationId: 'getImportTemplate',
      summary: 'A CSV template for an import',
      description: 'The header line of a record type and one example record, as RFC 4180 CSV. No token needed.',
      tags,
      params: TemplateParams,
      response: {
        200: { description: 'The template.', content: { 'text/csv': { schema: TemplateBody } } },
        ...problems(400, 404),
        ...closingOnly(),
      },
    },
    handler: async (request, reply) => {
      const type = request.params.template.replace(/\.csv$/, '') as RecordType;
      const body = csvHeader(type, ',') + csvText(type, [TEMPLATE_EXAMPLES[type]], ',');
      return reply.type(CSV_TYPE).header('Content-Disposition', `attachment; filename="${type}-template.csv"`).send(body);
    },
  });

  app.get('/exports/:recordType', {
    // Every record of a type in one answer: logged as a read of records, as a list of them is (plugins/read-log.ts).
    config: { ...roles('officer', 'admin'), recordRead: true },
    schema: {
      operationId: 'exportRecords',
      summary: 'Export a municipality’s records',
      description:
        'Every live record of one type of one municipality, streamed from one consistent snapshot, in the columns of the import (so an export imports again). A record without an externalReference carries its registry id there. Text cells that a spreadsheet would run as a formula (starting with = + - @) get a leading single quote in both CSV dialects.',
      tags,
      security: BEARER,
      params: ExportParams,
      querystring: ExportQuery,
      response: {
        200: {
          description: 'The records.',
          content: { 'text/csv': { schema: FileBody }, 'application/x-ndjson': { schema: FileBody } },
        },
        ...problems(400, ...AUTH_PROBLEMS, 404),
      },
    },
    handler: async (request, reply) => {
      const ctx = contextOf(request);
      const { recordType } = request.params;
      const { format } = request.query;
      const { municipalityCode, municipality: formerName } = request.query;
      const municipality = await services.exports.municipalityOf(
        ctx,
        municipalityCode ?? formerName,
        municipalityCode === undefined && formerName !== undefined ? 'municipality' : 'municipalityCode',
      );
      // The media type is the format's (the query's), and Accept must admit it: never CSV for an Accept of NDJSON.
      const mediaType = format === 'ndjson' ? 'application/x-ndjson' : 'text/csv';
      if (!acceptsAny(request.headers.accept, [mediaType])) {
        throw new HttpProblem({
          status: 406,
          code: 'not-acceptable',
          detail: `format=${format} answers ${mediaType}; the Accept header does not admit it. Ask for the format you accept (format=ndjson for application/x-ndjson).`,
        });
      }
      // Read whole before the answer begins: a database error is still a problem answer, and a slow client holds no
      // connection. A client that goes away meanwhile stops the reading at the next batch.
      const gone = new AbortController();
      const leave = () => gone.abort();
      const socket = request.raw.socket;
      socket.once('close', leave);
      let spooled: Awaited<ReturnType<typeof services.exports.readWhole>>;
      try {
        spooled = await services.exports.readWhole(ctx, recordType, municipality, gone.signal);
      } catch (err) {
        if (!gone.signal.aborted) throw err;
        request.log.info({ code: 'client-gone' }, 'export stopped: the client went away while it was read');
        reply.hijack(); // nobody to answer: the connection is closed
        reply.raw.destroy();
        return reply;
      } finally {
        socket.off('close', leave); // a kept-alive connection serves other requests: no listener left behind
      }
      const out = new PassThrough();
      /** Writes a chunk, waiting while the client reads slower than the spool gives; fails once the client is gone. */
      const push = (chunk: string) =>
        new Promise<void>((resolve, reject) => {
          if (out.destroyed) {
            reject(new Error('the client went away during the export'));
            return;
          }
          if (out.write(chunk)) {
            resolve();
            return;
          }
          const done = (err?: Error) => {
            out.off('drain', onDrain);
            out.off('close', onClose);
            if (err) reject(err);
            else resolve();
          };
          const onDrain = () => done();
          const onClose = () => done(new Error('the client went away during the export'));
          out.once('drain', onDrain);
          out.once('close', onClose);
        });
      const delimiter = format === 'csv-excel' ? ';' : ',';
      if (format !== 'ndjson') out.write((format === 'csv-excel' ? '\uFEFF' : '') + csvHeader(recordType, delimiter));
      void (async () => {
        try {
          for await (const rows of spooled.items()) {
            await push(format === 'ndjson' ? rows.map((r) => `${JSON.stringify(r)}\n`).join('') : csvText(recordType, rows, delimiter));
          }
          out.end();
        } catch (err) {
          request.log.warn({ err }, 'export stopped');
          out.destroy(err as Error);
        } finally {
          await spooled.remove().catch((err: unknown) => request.log.warn({ err }, 'an export’s spool could not be closed'));
        }
      })();
      // The two CSV dialects are told apart by name: only the Excel one is safe to open in Excel and save again.
      const file = { csv: 'csv', 'csv-excel': 'excel.csv', ndjson: 'ndjson' }[format];
      return reply
        .type(format === 'ndjson' ? NDJSON_TYPE : CSV_TYPE)
        .header('Content-Disposition', `attachment; filename="${recordType}-${municipality}.${file}"`)
        .send(out as never);
    },
  });
};

export default transferRoutes;
