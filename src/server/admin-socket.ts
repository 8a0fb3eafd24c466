/**
 * The running service's door for the `confidant` command: a Unix socket that only the service's
 * user can open (mode 0600). The command sends its arguments; the service runs them on its own
 * open database, so the embedded database (one process at a time) needs no stop, and printed
 * links carry the service's real PUBLIC_URL. One JSON line each way per connection.
 */
import { chmod, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';

export interface AdminRequest {
  argv: string[];
}

export interface AdminAnswer {
  code: number;
  out: string[];
  err: string[];
}

/** Longest request line: a command line, not a payload. */
const MAX_REQUEST_BYTES = 64 * 1024;

/** Whether a service answers on the socket (a file left by a crash does not). */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Listens on `path` and answers each request with `run`. A stale socket file is replaced; a live
 * one (another instance on the same data folder) is left alone and null returned.
 */
export async function openAdminSocket(path: string, run: (argv: string[]) => Promise<AdminAnswer>): Promise<Server | null> {
  if (await answers(path)) return null;
  await unlink(path).catch(() => undefined);
  const server = createServer((socket) => {
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (received.length > MAX_REQUEST_BYTES) return socket.destroy();
      const end = received.indexOf('\n');
      if (end < 0) return;
      socket.removeAllListeners('data');
      void answer(received.slice(0, end), run).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
    });
    socket.on('error', () => socket.destroy());
  });
  // Owner only from the first moment: the umask covers the window between bind and chmod.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  await chmod(path, 0o600);
  return server;
}

async function answer(line: string, run: (argv: string[]) => Promise<AdminAnswer>): Promise<AdminAnswer> {
  let request: AdminRequest;
  try {
    request = JSON.parse(line) as AdminRequest;
  } catch {
    return { code: 2, out: [], err: ['confidant: the service could not read the request'] };
  }
  if (!Array.isArray(request.argv) || !request.argv.every((a) => typeof a === 'string')) {
    return { code: 2, out: [], err: ['confidant: the service could not read the request'] };
  }
  return run(request.argv);
}

/** The command's side: sends the arguments and returns the service's answer. */
export function askService(path: string, argv: string[]): Promise<AdminAnswer> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let received = '';
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify({ argv } satisfies AdminRequest)}\n`));
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.once('end', () => {
      try {
        resolve(JSON.parse(received) as AdminAnswer);
      } catch {
        reject(new Error('the service closed the connection without an answer'));
      }
    });
    socket.once('error', reject);
  });
}
