import path from 'node:path';

/** Validated service configuration, read once at start from the environment. */
export interface Config {
  host: string;
  port: number;
  /** Absent: the embedded PGlite database under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Where encrypted file bodies live (the tus file store), on either database, unless `s3` is set. */
  filesDir: string;
  /** An S3 bucket for the file bodies instead of `filesDir`, shared by several instances; null: the disk. */
  s3: S3Config | null;
  /** The address people open; used in printed links. */
  publicUrl: string;
  /** The same service as a Tor onion service (`http://….onion`), announced to Tor Browser; absent: none. */
  onionLocation: string | undefined;
  logLevel: LogLevel;
  /** Off unless configured: only then may a proxy's forwarding headers be read. */
  trustProxy: boolean | string;
  /** Largest accepted JSON body, in bytes. */
  bodyLimit: number;
  limits: Limits;
  /** Default proof-of-work difficulty for new channels (leading zero bits). */
  powDifficulty: number;
  /** Operators may make TOTP mandatory for advisers. */
  requireTotp: boolean;
  /** `/readyz` fails when the embedded database's disk has less free space; 0 turns the check off. */
  minFreeDiskBytes: number;
  timeouts: Timeouts;
  /** Requests get 503 while the event loop lags more than this; 0 turns load shedding off. */
  maxEventLoopDelayMs: number;
  /** The Unix socket the `confidant` command reaches the running service through; null: none. */
  adminSocket: string | null;
  /** E-mail notifications to staff; null: off (SMTP_URL unset). */
  mail: MailConfig | null;
}

/** The S3 bucket of the file bodies (services/s3-file-bodies.ts). */
export interface S3Config {
  bucket: string;
  region: string;
  /** An S3-compatible service's address (MinIO, Ceph, a cloud's); absent: AWS. */
  endpoint: string | undefined;
  /** Addresses as endpoint/bucket/key rather than bucket.endpoint/key; most S3-compatible services want this. */
  forcePathStyle: boolean;
  /** Absent: the AWS SDK's own chain (AWS_ACCESS_KEY_ID, a profile, an instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** The size of a multipart part; S3 takes at least 5 MiB. */
  partBytes: number;
}

/** Where and when notification mail goes (services/notifications.ts). */
export interface MailConfig {
  /** A nodemailer connection URL: smtp://user:pass@host:587 or smtps://…:465. */
  smtpUrl: string;
  /** The From address, for example "Confidant <meldpunt@example.nl>". */
  from: string;
  /** The daily digest's time, minutes after midnight UTC: the same for everyone, every day. */
  digestMinuteUtc: number;
  /** How often the outbox is looked at: an immediate mail goes out within this. */
  pollMs: number;
}

/** How long a client may take, so that slow or stalled clients cannot hold connections. */
export interface Timeouts {
  /** The whole request, headers and body. */
  requestMs: number;
  /** The request line and headers; at most `requestMs`. */
  headersMs: number;
  /** An idle kept-alive connection between requests. */
  keepAliveMs: number;
}

export interface Limits {
  /** Largest report plaintext after padding, in bytes. */
  reportBytes: number;
  /** Largest message, registration or relay plaintext after padding, in bytes. */
  messageBytes: number;
  /** Reporter messages a mailbox may post per hour. */
  messagesPerHour: number;
  /** Largest file anyone may upload, in plaintext bytes (its upload is 41 bytes per 64 KiB longer). */
  fileBytes: number;
  /** The encrypted bytes all files of one case may hold together. */
  caseFileBytes: number;
  /** How many files one case may hold. */
  filesPerCase: number;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** A configuration mistake: one line naming the variable and what it accepts. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    accepts: string,
  ) {
    super(`${variable}: ${accepts}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function host(env: Env): string {
  const raw = text(env, 'HOST') ?? '127.0.0.1';
  // A host name, an IPv4 address or an IPv6 address; nothing with a scheme, port or path.
  if (!/^[A-Za-z0-9.\-:]+$/.test(raw)) {
    throw new ConfigError('HOST', `must be a host name or an IP address such as 127.0.0.1 or 0.0.0.0, got "${raw}"`);
  }
  return raw;
}

function databaseUrl(env: Env): string | undefined {
  const raw = text(env, 'DATABASE_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL, or unset for the embedded database');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL, or unset for the embedded database');
  }
  return raw;
}

function publicUrl(env: Env, hostName: string, port: number): string {
  const raw = text(env, 'PUBLIC_URL');
  if (raw === undefined) {
    const shown = hostName === '0.0.0.0' || hostName === '::' ? 'localhost' : hostName.includes(':') ? `[${hostName}]` : hostName;
    return `http://${shown}:${port}`;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('PUBLIC_URL', `must be an http:// or https:// address such as https://meldpunt.example.nl, got "${raw}"`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new ConfigError('PUBLIC_URL', `must be an http:// or https:// address without query or fragment, got "${raw}"`);
  }
  return url.toString().replace(/\/$/, '');
}

/** A v3 onion address: 56 base32 symbols. Tor Browser offers it to visitors of the clearnet address. */
function onionLocation(env: Env): string | undefined {
  const raw = text(env, 'ONION_LOCATION');
  if (raw === undefined) return undefined;
  const address = raw.replace(/\/$/, '');
  if (!/^https?:\/\/[a-z2-7]{56}\.onion$/.test(address)) {
    throw new ConfigError('ONION_LOCATION', `must be a v3 onion address such as http://<56 letters and digits>.onion, without a path, got "${raw}"`);
  }
  return address;
}

function logLevel(env: Env): LogLevel {
  const raw = text(env, 'LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${raw}"`);
  }
  return raw as LogLevel;
}

function trustProxy(env: Env): boolean | string {
  const raw = text(env, 'TRUST_PROXY');
  if (raw === undefined || /^(0|false|no|off)$/i.test(raw)) return false;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  // A comma-separated list of proxy addresses or CIDR ranges, as Fastify accepts.
  if (/^[0-9A-Fa-f.:/,\s]+$/.test(raw)) return raw;
  throw new ConfigError('TRUST_PROXY', `must be false, true or a comma-separated list of proxy addresses, got "${raw}"`);
}

const MiB = 1024 * 1024;

function timeouts(env: Env): Timeouts {
  const requestMs = integer(env, 'REQUEST_TIMEOUT_MS', 30_000, 500, 3_600_000);
  const headersMs = integer(env, 'HEADERS_TIMEOUT_MS', Math.min(10_000, requestMs), 500, 3_600_000);
  // Node refuses a headers timeout longer than the request timeout.
  if (headersMs > requestMs) {
    throw new ConfigError('HEADERS_TIMEOUT_MS', `must not exceed REQUEST_TIMEOUT_MS (${requestMs}), got "${headersMs}"`);
  }
  return { requestMs, headersMs, keepAliveMs: integer(env, 'KEEP_ALIVE_TIMEOUT_MS', 72_000, 1000, 3_600_000) };
}

/** Reads and validates the configuration; throws ConfigError on the first wrong value. */
export function loadConfig(env: Env = process.env): Config {
  const hostName = host(env);
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const limits: Limits = {
    reportBytes: integer(env, 'MAX_REPORT_BYTES', 256 * 1024, 4096, 16 * MiB),
    messageBytes: integer(env, 'MAX_MESSAGE_BYTES', 64 * 1024, 1024, 4 * MiB),
    messagesPerHour: integer(env, 'MESSAGES_PER_HOUR', 30, 1, 10_000),
    fileBytes: integer(env, 'MAX_FILE_BYTES', 2048 * MiB, 0, 2048 * MiB),
    caseFileBytes: integer(env, 'MAX_CASE_FILE_BYTES', 8192 * MiB, 0, Number.MAX_SAFE_INTEGER),
    filesPerCase: integer(env, 'MAX_FILES_PER_CASE', 100, 0, 10_000),
  };
  const dataDir = path.resolve(text(env, 'DATA_DIR') ?? './data');
  // Beside the embedded database's folder, not in it: a restore needs that folder empty.
  const filesDir = path.resolve(text(env, 'FILES_DIR') ?? `${dataDir}-files`);
  const serviceUrl = publicUrl(env, hostName, port);
  return {
    host: hostName,
    port,
    databaseUrl: databaseUrl(env),
    dataDir,
    filesDir,
    s3: s3(env),
    publicUrl: serviceUrl,
    onionLocation: onionLocation(env),
    logLevel: logLevel(env),
    trustProxy: trustProxy(env),
    // Room for the largest report plus its base64url encoding and the JSON around it.
    bodyLimit: Math.ceil(limits.reportBytes * 1.4) + 64 * 1024,
    limits,
    powDifficulty: integer(env, 'POW_DIFFICULTY', 16, 0, 32),
    requireTotp: boolean(env, 'REQUIRE_TOTP', false),
    minFreeDiskBytes: integer(env, 'MIN_FREE_DISK_BYTES', 64 * MiB, 0, Number.MAX_SAFE_INTEGER),
    timeouts: timeouts(env),
    maxEventLoopDelayMs: integer(env, 'MAX_EVENT_LOOP_DELAY_MS', 1000, 0, 60_000),
    adminSocket: adminSocket(env, dataDir),
    mail: mail(env, serviceUrl),
  };
}

/** S3_BUCKET moves the file bodies to S3; S3_REGION, S3_ENDPOINT, S3_FORCE_PATH_STYLE, S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY say where and as whom. */
function s3(env: Env): S3Config | null {
  const bucket = text(env, 'S3_BUCKET');
  if (bucket === undefined) return null;
  // S3's rule for bucket names: 3 to 63 lower-case letters, digits, dots and hyphens.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError('S3_BUCKET', `must be an S3 bucket name (3 to 63 lower-case letters, digits, dots and hyphens), got "${bucket}"`);
  const endpoint = text(env, 'S3_ENDPOINT');
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+\/?$/.test(endpoint)) {
    throw new ConfigError('S3_ENDPOINT', `must be an http:// or https:// address without a path, such as https://s3.example.nl, got "${endpoint}"`);
  }
  const accessKeyId = text(env, 'S3_ACCESS_KEY_ID');
  const secretAccessKey = text(env, 'S3_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError(accessKeyId === undefined ? 'S3_ACCESS_KEY_ID' : 'S3_SECRET_ACCESS_KEY', 'must be set together with the other half of the key (S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY)');
  }
  return {
    bucket,
    region: text(env, 'S3_REGION') ?? 'us-east-1',
    endpoint: endpoint?.replace(/\/$/, ''),
    forcePathStyle: boolean(env, 'S3_FORCE_PATH_STYLE', endpoint !== undefined),
    credentials: accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey } : undefined,
    partBytes: integer(env, 'S3_PART_BYTES', 8 * MiB, 5 * MiB, 512 * MiB),
  };
}

/** SMTP_URL turns mail on; MAIL_FROM, DIGEST_TIME (HH:MM, UTC) and MAIL_POLL_MS refine it. */
function mail(env: Env, serviceUrl: string): MailConfig | null {
  const smtpUrl = text(env, 'SMTP_URL');
  if (smtpUrl === undefined) return null;
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    throw new ConfigError('SMTP_URL', 'must be an smtp:// or smtps:// URL such as smtp://user:password@mail.example.nl:587');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ConfigError('SMTP_URL', 'must be an smtp:// or smtps:// URL such as smtp://user:password@mail.example.nl:587');
  }
  const from = text(env, 'MAIL_FROM') ?? `Confidant <no-reply@${new URL(serviceUrl).hostname}>`;
  if (!/^[^\r\n]*<?[^\s@<>]+@[^\s@<>]+>?$/.test(from)) {
    throw new ConfigError('MAIL_FROM', `must be an address such as "Confidant <meldpunt@example.nl>", got "${from}"`);
  }
  const time = text(env, 'DIGEST_TIME') ?? '07:00';
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!match) throw new ConfigError('DIGEST_TIME', `must be a time of day in UTC as HH:MM, such as 07:00, got "${time}"`);
  return {
    smtpUrl,
    from,
    digestMinuteUtc: Number(match[1]) * 60 + Number(match[2]),
    pollMs: integer(env, 'MAIL_POLL_MS', 15_000, 100, 600_000),
  };
}

/** Unix socket paths are limited to about 107 bytes. */
const SOCKET_PATH_MAX = 100;

/**
 * ADMIN_SOCKET: a path, or `off`; by default beside the data folder (`./data.sock` for `./data`),
 * not in it: a backup copies the folder, and a socket is no file to copy. None when the default
 * path is too long for a socket.
 */
function adminSocket(env: Env, dataDir: string): string | null {
  const value = text(env, 'ADMIN_SOCKET');
  if (value === 'off') return null;
  if (value === undefined) {
    const socket = `${dataDir}.sock`;
    return Buffer.byteLength(socket) <= SOCKET_PATH_MAX ? socket : null;
  }
  const socket = path.resolve(value);
  if (Buffer.byteLength(socket) > SOCKET_PATH_MAX) throw new ConfigError('ADMIN_SOCKET', `must be a path of at most ${SOCKET_PATH_MAX} bytes, or off`);
  return socket;
}
