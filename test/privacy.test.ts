/**
 * design.md invariants 1 and 2: a unique marker written through the real client into every
 * encrypted field must appear nowhere in a full dump of the database or in the logs; neither
 * may the code, the reporter's secret keys, the case key, an IP address or a user agent.
 */
import t from 'tap';
import { eq, sql } from 'drizzle-orm';
import {
  ConfidantClient,
  deriveMailboxKeys,
  openMailbox,
  readBack,
  submitNewReport,
  toBase64url,
  unsealKey,
  type FetchLike,
} from '../src/protocol/index.js';
import type { Database } from '../src/server/db/connection.js';
import { caseWraps } from '../src/server/db/schema.js';
import { buildTestApp } from './helper.js';
import { addAdviser, addChannel } from './fixtures.js';

/** Every value of every table of the public schema, as the bytes and text a dump would hold. */
async function dumpDatabase(db: Database): Promise<{ tables: string[]; bytes: Buffer }> {
  // Both drivers answer execute() with { rows }; the shared drizzle type leaves it unknown.
  const rows = async (query: ReturnType<typeof sql.raw>) => ((await db.execute(query)) as unknown as { rows: Array<Record<string, unknown>> }).rows;
  const tables = (await rows(sql.raw(`select table_name from information_schema.tables where table_schema = 'public' order by 1`))).map((r) =>
    String(r.table_name),
  );
  const parts: Buffer[] = [];
  for (const table of tables) {
    for (const row of await rows(sql.raw(`select * from "${table}"`))) {
      for (const value of Object.values(row)) {
        if (value instanceof Uint8Array) parts.push(Buffer.from(value));
        else parts.push(Buffer.from(value instanceof Date ? value.toISOString() : JSON.stringify(value) ?? '', 'utf8'));
        parts.push(Buffer.from('\n'));
      }
    }
  }
  return { tables, bytes: Buffer.concat(parts) };
}

t.test('no plaintext, code, key, address or user agent reaches the database or the logs', async (t) => {
  const { baseUrl, database, logs } = await buildTestApp(t, { LOG_LEVEL: 'trace' });
  const { db } = database;
  await addChannel(db, 'privacy');
  const adviser = await addAdviser(db, 'privacy', 'Adviser');

  const ua = 'Mozilla/5.0 (X11; Linux x86_64) UA-FINGERPRINT-5123';
  const forwarded = '203.0.113.99';
  // The client as a browser behind a proxy would send it: a user agent and forwarding headers.
  const browserFetch: FetchLike = (url, init) =>
    fetch(url, { ...init, headers: { ...init.headers, 'user-agent': ua, 'x-forwarded-for': forwarded, 'x-real-ip': forwarded } });
  const client = new ConfidantClient({ baseUrl, fetch: browserFetch });

  const marker = (field: string) => `MARKER-${field}-9f3a1c`;
  const submitted = await submitNewReport(client, {
    slug: 'privacy',
    report: {
      v: 1,
      lang: 'nl',
      answers: { what: marker('what'), when: marker('when'), where: marker('where'), who: marker('who'), how: marker('how') },
      anonymity: 'confidential',
      identity: { name: marker('identity-name'), contact: marker('identity-contact') },
    },
  });
  const mailbox = await openMailbox(client, submitted.code);
  await mailbox.postMessage(marker('message'));
  const newCode = await mailbox.rotate();
  const again = await openMailbox(client, newCode);
  await again.postMessage(marker('message-after-rotate'));
  await again.close();

  const secrets: Array<[string, Buffer]> = [];
  for (const [name, code] of [['code', submitted.code], ['new code', newCode]] as const) {
    const read = readBack(code);
    if (!read.ok) throw new Error('code did not read back');
    const keys = await deriveMailboxKeys(read.body);
    secrets.push(
      [`${name} (display)`, Buffer.from(code)],
      [`${name} (body)`, Buffer.from(read.body)],
      [`${name} seed`, Buffer.from(keys.seed)],
      [`${name} sign secret key`, Buffer.from(keys.signSecretKey)],
      [`${name} box secret key`, Buffer.from(keys.boxSecretKey)],
    );
  }
  const [wrap] = await db.select().from(caseWraps).where(eq(caseWraps.caseId, submitted.caseId));
  const caseKey = Buffer.from(unsealKey(toBase64url(wrap!.wrap), adviser.boxPublicKey, adviser.boxSecretKey));
  secrets.push(['case key', caseKey], ['adviser box secret key', Buffer.from(adviser.boxSecretKey)]);

  const { tables, bytes } = await dumpDatabase(db);
  t.ok(tables.includes('cases') && tables.includes('messages'), 'the dump covers the tables');
  t.ok(bytes.includes(Buffer.from(submitted.caseId)), 'the dump holds the case (the search works)');
  const logText = logs.text;
  t.ok(logs.lines.length > 5, 'requests were logged');

  const fields = ['what', 'when', 'where', 'who', 'how', 'identity-name', 'identity-contact', 'message', 'message-after-rotate'];
  for (const field of fields) {
    const needle = marker(field);
    t.notOk(bytes.includes(Buffer.from(needle)), `database: no plaintext of ${field}`);
    t.notOk(bytes.includes(Buffer.from(Buffer.from(needle).toString('base64url'))), `database: no base64url plaintext of ${field}`);
    t.notMatch(logText, needle, `logs: no plaintext of ${field}`);
  }
  for (const [name, secret] of secrets) {
    t.notOk(bytes.includes(secret), `database: no ${name}`);
    t.notOk(bytes.includes(Buffer.from(secret.toString('base64url'))), `database: no ${name} in base64url`);
    t.notMatch(logText, secret.toString('base64url'), `logs: no ${name}`);
  }
  t.notMatch(logText, submitted.code, 'logs: no code');
  for (const [name, needle] of [
    ['user agent', 'UA-FINGERPRINT-5123'],
    ['forwarded address', forwarded],
    ['loopback address', '127.0.0.1'],
  ] as const) {
    t.notOk(bytes.includes(Buffer.from(needle)), `database: no ${name}`);
    t.notMatch(logText, needle, `logs: no ${name}`);
  }
});
