/**
 * The `confidant` command while the service runs, as an operator types it: the service and the
 * command each in a process of their own, on the embedded database (or PostgreSQL under
 * TEST_DATABASE_URL). Commands reach the service through its socket (owner only), run on its
 * database without a stop, and print links with the port it really listens on; with the service
 * stopped, or a stale socket file left behind, the command opens the database itself.
 */
import t from 'tap';
import { mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openTestDatabase, testDatabaseUrl } from './helper.js';
import { confidant, freePort, startService } from './helpers/processes.js';

t.setTimeout(240_000);

t.test('every command works while the service runs, through its socket, with its real address', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'confidant-cli-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const databaseUrl = testDatabaseUrl ? (await openTestDatabase(t)).url : undefined;
  const port = await freePort();
  const where = { DATA_DIR: dataDir, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
  const socket = `${dataDir}.sock`;

  const service = await startService({ ...where, PORT: String(port) });
  t.teardown(() => service.stop());
  t.match(service.output(), 'npx confidant --help (it works while the service runs)', 'the first start says so');
  t.equal(statSync(socket).mode & 0o777, 0o600, 'the socket is the service user’s alone');

  const org = await confidant(where, 'org', 'create', 'acme', '--name', 'Acme B.V.');
  t.equal(org.code, 0, `org create while the service runs: ${org.err}`);
  const channel = await confidant(where, 'channel', 'create', 'acme-meldpunt', '--name', 'Meldpunt Acme', '--org', 'acme');
  t.equal(channel.code, 0, `channel create: ${channel.err}`);
  const invite = await confidant(where, 'invite', 'adviser', '--channel', 'acme-meldpunt');
  t.equal(invite.code, 0, `invite adviser: ${invite.err}`);
  const link = new RegExp(`http://127\\.0\\.0\\.1:${port}/invite\\?for=adviser#[A-Za-z0-9_-]{43}`).exec(invite.out)?.[0];
  t.ok(link, `the link carries the port the service listens on (${port}), not the default`);

  // The service sees at once what the command made: the channel page answers.
  const page = await fetch(`http://127.0.0.1:${port}/api/v1/channels/acme-meldpunt`);
  t.equal(page.status, 200, 'the new channel is served without a restart');
  await page.text();
  const listed = await confidant(where, 'org', 'list');
  t.match(listed.out, /acme\s+Acme B\.V\./, 'org list through the service');

  // Errors come back with their exit code and message.
  const duplicate = await confidant(where, 'org', 'create', 'acme', '--name', 'Again');
  t.equal(duplicate.code, 1, 'a duplicate fails with 1');
  t.match(duplicate.err, /confidant: .*acme/, 'and says why');
  const usage = await confidant(where, 'org', 'create');
  t.equal(usage.code, 2, 'a usage error is 2, said before any socket is asked');

  // Stopped: the socket goes, and the command opens the database itself.
  t.equal(await service.stop(), 0, 'the service stops cleanly');
  t.notOk(existsSync(socket), 'the socket is removed');
  const offline = await confidant(where, 'org', 'list');
  t.equal(offline.code, 0, `without the service the command opens the database: ${offline.err}`);
  t.match(offline.out, /acme/);

  // A socket file left by a crash is neither trusted by the command nor a blocker for the service.
  writeFileSync(socket, '');
  const stale = await confidant(where, 'org', 'list');
  t.equal(stale.code, 0, 'a stale socket file: the command opens the database');
  const again = await startService({ ...where, PORT: String(port) });
  t.teardown(() => again.stop());
  t.equal(statSync(socket).mode & 0o777, 0o600, 'the service replaced the stale file with its socket');
  const through = await confidant(where, 'channel', 'list');
  t.equal(through.code, 0, 'and the command reaches it again');
  t.match(through.out, /acme-meldpunt/);
  t.equal(await again.stop(), 0);
});
