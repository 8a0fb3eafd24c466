import t from 'tap';
import path from 'node:path';
import { ConfigError, loadConfig } from '../src/server/config.js';

t.test('defaults give a safe local service', async (t) => {
  const config = loadConfig({});
  t.equal(config.host, '127.0.0.1');
  t.equal(config.port, 3000);
  t.equal(config.databaseUrl, undefined, 'no DATABASE_URL means the embedded database');
  t.equal(config.dataDir, path.resolve('./data'));
  t.equal(config.publicUrl, 'http://127.0.0.1:3000');
  t.equal(config.logLevel, 'info');
  t.equal(config.trustProxy, false, 'proxy headers are not trusted unless configured');
  t.equal(config.onionLocation, undefined, 'no onion service unless configured');
});

t.test('values are read and normalised', async (t) => {
  const config = loadConfig({
    HOST: '0.0.0.0',
    PORT: '8080',
    DATABASE_URL: 'postgres://user@db.internal:5432/confidant',
    DATA_DIR: '/var/lib/confidant',
    PUBLIC_URL: 'https://meldpunt.example.nl/',
    LOG_LEVEL: 'warn',
    TRUST_PROXY: '10.0.0.1,10.0.0.2',
  });
  t.equal(config.host, '0.0.0.0');
  t.equal(config.port, 8080);
  t.equal(config.databaseUrl, 'postgres://user@db.internal:5432/confidant');
  t.equal(config.dataDir, '/var/lib/confidant');
  t.equal(config.publicUrl, 'https://meldpunt.example.nl', 'trailing slash dropped');
  t.equal(config.logLevel, 'warn');
  t.equal(config.trustProxy, '10.0.0.1,10.0.0.2');
  t.equal(loadConfig({ ONION_LOCATION: `http://${'q'.repeat(56)}.onion/` }).onionLocation, `http://${'q'.repeat(56)}.onion`, 'an onion address, trailing slash dropped');
  t.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true);
  t.equal(loadConfig({ TRUST_PROXY: 'off' }).trustProxy, false);
  t.equal(loadConfig({ HOST: '0.0.0.0', PORT: '81' }).publicUrl, 'http://localhost:81', 'a wildcard host prints as localhost');
});

const mistakes: Array<[string, string, RegExp]> = [
  ['PORT', 'eighty', /PORT: must be a whole number from 0 to 65535/],
  ['PORT', '70000', /PORT: must be a whole number/],
  ['PORT', '-1', /PORT: must be a whole number/],
  ['HOST', 'http://example.org', /HOST: must be a host name or an IP address/],
  ['DATABASE_URL', 'mysql://x@y/z', /DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/],
  ['DATABASE_URL', 'not a url', /DATABASE_URL: must be a postgres/],
  ['PUBLIC_URL', 'meldpunt.example.nl', /PUBLIC_URL: must be an http:\/\/ or https:\/\/ address/],
  ['PUBLIC_URL', 'ftp://example.org', /PUBLIC_URL: must be an http/],
  ['PUBLIC_URL', 'https://example.org/?a=1', /PUBLIC_URL: .*without query or fragment/],
  ['ONION_LOCATION', 'confidant.onion', /ONION_LOCATION: must be a v3 onion address/],
  ['ONION_LOCATION', `http://${'a'.repeat(16)}.onion`, /ONION_LOCATION: must be a v3 onion address/],
  ['ONION_LOCATION', `http://${'a'.repeat(56)}.onion/meldpunt`, /ONION_LOCATION: .*without a path/],
  ['LOG_LEVEL', 'verbose', /LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/],
  ['TRUST_PROXY', 'everyone', /TRUST_PROXY: must be false, true or a comma-separated list/],
  ['POW_DIFFICULTY', '40', /POW_DIFFICULTY: must be a whole number from 0 to 32/],
  ['REQUIRE_TOTP', 'maybe', /REQUIRE_TOTP: must be true or false/],
  ['MIN_FREE_DISK_BYTES', '64M', /MIN_FREE_DISK_BYTES: must be a whole number from 0 to/],
  ['REQUEST_TIMEOUT_MS', '100', /REQUEST_TIMEOUT_MS: must be a whole number from 500 to 3600000/],
  ['REQUEST_TIMEOUT_MS', 'never', /REQUEST_TIMEOUT_MS: must be a whole number/],
  ['HEADERS_TIMEOUT_MS', '0', /HEADERS_TIMEOUT_MS: must be a whole number from 500 to 3600000/],
  ['HEADERS_TIMEOUT_MS', '40000', /HEADERS_TIMEOUT_MS: must not exceed REQUEST_TIMEOUT_MS \(30000\)/],
  ['KEEP_ALIVE_TIMEOUT_MS', '10', /KEEP_ALIVE_TIMEOUT_MS: must be a whole number from 1000 to 3600000/],
  ['MAX_EVENT_LOOP_DELAY_MS', '-5', /MAX_EVENT_LOOP_DELAY_MS: must be a whole number from 0 to 60000/],
];

t.test('timeouts, the disk minimum and load shedding have safe defaults and read their variables', async (t) => {
  const defaults = loadConfig({});
  t.strictSame(defaults.timeouts, { requestMs: 30_000, headersMs: 10_000, keepAliveMs: 72_000 });
  t.equal(defaults.minFreeDiskBytes, 64 * 1024 * 1024, '64 MiB');
  t.equal(defaults.maxEventLoopDelayMs, 1000);
  const set = loadConfig({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '2000', KEEP_ALIVE_TIMEOUT_MS: '4000', MIN_FREE_DISK_BYTES: '0', MAX_EVENT_LOOP_DELAY_MS: '0' });
  t.strictSame(set.timeouts, { requestMs: 5000, headersMs: 2000, keepAliveMs: 4000 });
  t.equal(set.minFreeDiskBytes, 0, '0 turns the disk check off');
  t.equal(set.maxEventLoopDelayMs, 0, '0 turns load shedding off');
  t.equal(loadConfig({ REQUEST_TIMEOUT_MS: '5000' }).timeouts.headersMs, 5000, 'the headers timeout follows a shorter request timeout');
});

for (const [variable, value, message] of mistakes) {
  t.test(`${variable}=${value} stops the start with one line naming it`, async (t) => {
    t.throws(() => loadConfig({ [variable]: value }), ConfigError);
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      t.match((error as Error).message, message);
      t.equal((error as ConfigError).variable, variable);
      t.notMatch((error as Error).message, /\n/, 'one line');
    }
  });
}

t.test('ADMIN_SOCKET: by default beside the data folder, a path, or off', async (t) => {
  t.equal(loadConfig({ DATA_DIR: '/srv/confidant/data' }).adminSocket, '/srv/confidant/data.sock', 'beside the data folder, not in it (a backup copies the folder)');
  t.equal(loadConfig({ ADMIN_SOCKET: '/run/confidant/admin.sock' }).adminSocket, '/run/confidant/admin.sock');
  t.equal(loadConfig({ ADMIN_SOCKET: 'off' }).adminSocket, null);
  t.equal(loadConfig({ DATA_DIR: `/srv/${'x'.repeat(120)}` }).adminSocket, null, 'a data folder too deep for a socket path: none, rather than a failed start');
  t.throws(() => loadConfig({ ADMIN_SOCKET: `/run/${'x'.repeat(120)}.sock` }), { name: 'ConfigError', variable: 'ADMIN_SOCKET' }, 'an explicit path too long for a socket is refused');
});

t.test('mail: off without SMTP_URL; with it, a From, a daily time in UTC and a poll interval', async (t) => {
  t.equal(loadConfig({}).mail, null, 'no SMTP_URL: no mail');
  t.same(loadConfig({ SMTP_URL: 'smtp://u:p@mail.example.nl:587', PUBLIC_URL: 'https://meldpunt.example.nl' }).mail, {
    smtpUrl: 'smtp://u:p@mail.example.nl:587',
    from: 'Confidant <no-reply@meldpunt.example.nl>',
    digestMinuteUtc: 7 * 60,
    pollMs: 15_000,
  }, 'defaults: From at the public host, 07:00 UTC, every 15 s');
  t.same(
    loadConfig({ SMTP_URL: 'smtps://mail.example.nl:465', MAIL_FROM: 'Meldpunt <meldpunt@example.nl>', DIGEST_TIME: '23:59', MAIL_POLL_MS: '500' }).mail,
    { smtpUrl: 'smtps://mail.example.nl:465', from: 'Meldpunt <meldpunt@example.nl>', digestMinuteUtc: 23 * 60 + 59, pollMs: 500 },
  );
  const refused: Array<[Record<string, string>, string]> = [
    [{ SMTP_URL: 'http://mail.example.nl' }, 'SMTP_URL'],
    [{ SMTP_URL: 'not a url' }, 'SMTP_URL'],
    [{ SMTP_URL: 'smtp://mail.example.nl', DIGEST_TIME: '7:00' }, 'DIGEST_TIME'],
    [{ SMTP_URL: 'smtp://mail.example.nl', DIGEST_TIME: '24:00' }, 'DIGEST_TIME'],
    [{ SMTP_URL: 'smtp://mail.example.nl', MAIL_FROM: 'no address' }, 'MAIL_FROM'],
    [{ SMTP_URL: 'smtp://mail.example.nl', MAIL_FROM: 'a@b.nl\r\nBcc: x@y.nl' }, 'MAIL_FROM'],
    [{ SMTP_URL: 'smtp://mail.example.nl', MAIL_POLL_MS: '10' }, 'MAIL_POLL_MS'],
  ];
  for (const [env, variable] of refused) {
    t.throws(() => loadConfig(env), { name: 'ConfigError', variable }, `${JSON.stringify(env)}: refused, naming ${variable}`);
  }
});

t.test('S3: off without S3_BUCKET; with it, a region, an endpoint with path-style addresses, a key pair and a part size', async (t) => {
  t.equal(loadConfig({}).s3, null, 'no S3_BUCKET: the files live in FILES_DIR');
  t.same(loadConfig({ S3_BUCKET: 'confidant-files' }).s3, {
    bucket: 'confidant-files',
    region: 'us-east-1',
    endpoint: undefined,
    forcePathStyle: false,
    credentials: undefined,
    partBytes: 8 * 1024 * 1024,
  }, 'AWS: the SDK finds its own credentials, virtual-host addresses, parts of 8 MiB');
  t.same(
    loadConfig({ S3_BUCKET: 'meldpunt.bestanden', S3_REGION: 'nl-ams', S3_ENDPOINT: 'https://s3.example.nl/', S3_ACCESS_KEY_ID: 'AK', S3_SECRET_ACCESS_KEY: 'SK', S3_PART_BYTES: String(16 * 1024 * 1024) }).s3,
    { bucket: 'meldpunt.bestanden', region: 'nl-ams', endpoint: 'https://s3.example.nl', forcePathStyle: true, credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' }, partBytes: 16 * 1024 * 1024 },
    'an S3-compatible service: path-style by default, the trailing slash dropped',
  );
  t.equal(loadConfig({ S3_BUCKET: 'confidant-files', S3_ENDPOINT: 'https://s3.example.nl', S3_FORCE_PATH_STYLE: 'false' }).s3?.forcePathStyle, false, 'path style can be turned off');
  const refused: Array<[Record<string, string>, string]> = [
    [{ S3_BUCKET: 'Confidant_Files' }, 'S3_BUCKET'],
    [{ S3_BUCKET: 'ab' }, 'S3_BUCKET'],
    [{ S3_BUCKET: 'confidant-files', S3_ENDPOINT: 's3.example.nl' }, 'S3_ENDPOINT'],
    [{ S3_BUCKET: 'confidant-files', S3_ENDPOINT: 'https://s3.example.nl/bucket' }, 'S3_ENDPOINT'],
    [{ S3_BUCKET: 'confidant-files', S3_ACCESS_KEY_ID: 'AK' }, 'S3_SECRET_ACCESS_KEY'],
    [{ S3_BUCKET: 'confidant-files', S3_SECRET_ACCESS_KEY: 'SK' }, 'S3_ACCESS_KEY_ID'],
    [{ S3_BUCKET: 'confidant-files', S3_PART_BYTES: '1048576' }, 'S3_PART_BYTES'],
  ];
  for (const [env, variable] of refused) {
    t.throws(() => loadConfig(env), { name: 'ConfigError', variable }, `${JSON.stringify(env)}: refused, naming ${variable}`);
  }
});
