/**
 * A real SMTP server in the test process (the smtp-server package), listening on a loopback
 * port: it keeps every message exactly as it arrived, and can refuse recipients or data, or
 * answer slowly, so that tests see what the app hands a real mail server.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CaughtMail {
  /** The message as the server received it after DATA (headers and body, CRLF line ends). */
  raw: Buffer;
  /** The envelope: MAIL FROM and RCPT TO. */
  envelopeFrom: string;
  envelopeTo: string[];
  /** Header names in order, lower case. */
  headerNames: string[];
  /** Unfolded header values by lower-case name (the first of a repeated name). */
  headers: Map<string, string>;
  /** The body as sent on the wire. */
  rawBody: string;
  /** The body decoded from base64 when it says so, else as sent. */
  body: string;
}

export type SmtpMode = 'accept' | 'reject-rcpt' | 'reject-data';

/** Splits a raw message into its headers and body and decodes a base64 body. */
export function parseMail(raw: Buffer, envelopeFrom = '', envelopeTo: string[] = []): CaughtMail {
  const text = raw.toString('latin1');
  const split = text.indexOf('\r\n\r\n');
  const head = split < 0 ? text : text.slice(0, split);
  const rawBody = split < 0 ? '' : text.slice(split + 4);
  const headerNames: string[] = [];
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headerNames.push(name);
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  const base64 = /base64/i.test(headers.get('content-transfer-encoding') ?? '');
  const body = base64 ? Buffer.from(rawBody.replace(/\s+/g, ''), 'base64').toString('utf8') : rawBody;
  return { raw, envelopeFrom, envelopeTo, headerNames, headers, rawBody, body };
}

export class SmtpCatcher {
  readonly mails: CaughtMail[] = [];
  /** Refusals given (recipients or data), for tests that count attempts. */
  refused = 0;
  mode: SmtpMode = 'accept';
  /** How long the server waits before accepting a message's data: makes deliveries overlap. */
  delayMs = 0;
  readonly #server: SMTPServer;
  #port = 0;

  private constructor() {
    this.#server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo: (_address, _session, callback) => {
        if (this.mode === 'reject-rcpt') {
          this.refused++;
          const error = Object.assign(new Error('Mailbox unavailable (test)'), { responseCode: 550 });
          return callback(error);
        }
        callback();
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (this.mode === 'reject-data') {
            this.refused++;
            callback(Object.assign(new Error('Temporary failure (test)'), { responseCode: 451 }));
            return;
          }
          const raw = Buffer.concat(chunks);
          const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          const envelopeTo = session.envelope.rcptTo.map((r) => r.address);
          const accept = () => {
            this.mails.push(parseMail(raw, envelopeFrom, envelopeTo));
            callback();
          };
          if (this.delayMs > 0) setTimeout(accept, this.delayMs);
          else accept();
        });
      },
    });
    // A client that drops the connection must not fail the test process.
    this.#server.on('error', () => {});
  }

  static async start(): Promise<SmtpCatcher> {
    const catcher = new SmtpCatcher();
    await new Promise<void>((resolve, reject) => {
      catcher.#server.once('error', reject);
      catcher.#server.listen(0, '127.0.0.1', () => resolve());
    });
    catcher.#port = (catcher.#server.server.address() as AddressInfo).port;
    return catcher;
  }

  get port(): number {
    return this.#port;
  }

  /** The SMTP_URL that points the app here. */
  get url(): string {
    return `smtp://127.0.0.1:${this.#port}`;
  }

  /** The mails for one address. */
  to(address: string): CaughtMail[] {
    return this.mails.filter((m) => m.envelopeTo.includes(address));
  }

  /** Waits until `predicate` holds, polling; throws after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 10_000, what = 'mail'): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
