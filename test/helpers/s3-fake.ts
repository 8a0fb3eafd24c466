/**
 * An S3-compatible server in this process, for the tests of the S3 file store: one bucket in
 * memory, path-style addresses, and the operations @tus/s3-store and services/s3-file-bodies.ts
 * use (objects: put, get, head, delete, delete several, list v2; multipart: create, upload part,
 * list parts, complete, abort). Signatures are not checked; aws-chunked bodies (the SDK's
 * streaming checksums) are decoded. No fake on npm lists parts, which tus needs to resume.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface StoredObject {
  body: Buffer;
  metadata: Record<string, string>;
  modified: Date;
}

interface MultipartUpload {
  key: string;
  parts: Map<number, Buffer>;
}

const etag = (body: Buffer) => `"${createHash('md5').update(body).digest('hex')}"`;
const xmlEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;

/** The body of an aws-chunked request: `hex-size[;extensions]\r\n bytes \r\n`, until a chunk of 0, then trailers. */
function decodeAwsChunked(raw: Buffer): Buffer {
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) throw new Error('aws-chunked: no chunk size line');
    const size = Number.parseInt(raw.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
    if (!Number.isFinite(size)) throw new Error('aws-chunked: a chunk size that is not hexadecimal');
    if (size === 0) return Buffer.concat(chunks);
    chunks.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  const raw = Buffer.concat(parts);
  const chunked = /aws-chunked/.test(String(request.headers['content-encoding'] ?? '')) || String(request.headers['x-amz-content-sha256'] ?? '').startsWith('STREAMING-');
  return chunked ? decodeAwsChunked(raw) : raw;
}

export class S3Fake {
  readonly objects = new Map<string, StoredObject>();
  readonly uploads = new Map<string, MultipartUpload>();
  /** Requests answered, by operation, to see what the store did. */
  readonly calls: string[] = [];
  /** While set, every request is answered 503 SlowDown: the store is unreachable. */
  down = false;
  /** The most keys one list answers, whatever is asked: small, to make a client page through. */
  pageSize = 1000;
  #server: Server;

  private constructor(
    server: Server,
    readonly url: string,
    readonly bucket: string,
  ) {
    this.#server = server;
  }

  static async start(bucket = 'confidant-files'): Promise<S3Fake> {
    let fake: S3Fake | null = null;
    const server = createServer((request, response) => {
      fake!.#handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) fake!.#error(response, 500, 'InternalError', String(error));
        else response.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new S3Fake(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bucket);
    return fake;
  }

  /** The environment that points the service at this bucket. */
  env(): Record<string, string> {
    return { S3_BUCKET: this.bucket, S3_ENDPOINT: this.url, S3_REGION: 'eu-west-1', S3_ACCESS_KEY_ID: 'test', S3_SECRET_ACCESS_KEY: 'test' };
  }

  /** Every key in the bucket, sorted. */
  keys(): string[] {
    return [...this.objects.keys()].sort();
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #error(response: ServerResponse, status: number, code: string, message = code): void {
    response.writeHead(status, { 'content-type': 'application/xml' });
    response.end(xml(`<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`));
  }

  #xml(response: ServerResponse, body: string, headers: Record<string, string> = {}): void {
    response.writeHead(200, { 'content-type': 'application/xml', ...headers });
    response.end(xml(body));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.url);
    const [bucket, ...rest] = url.pathname.slice(1).split('/');
    const key = decodeURIComponent(rest.join('/'));
    const q = url.searchParams;
    const method = request.method ?? 'GET';
    const body = method === 'PUT' || method === 'POST' ? await bodyOf(request) : Buffer.alloc(0);
    if (this.down) return this.#error(response, 503, 'SlowDown', 'The store is down (test).');
    if (bucket !== this.bucket) return this.#error(response, 404, 'NoSuchBucket');

    if (key === '') {
      if (method === 'GET' && q.get('list-type') === '2') return this.#list(response, q);
      if (method === 'POST' && q.has('delete')) return this.#deleteSeveral(response, body);
      return this.#error(response, 400, 'NotImplemented', `${method} on the bucket`);
    }
    if (q.has('uploads') && method === 'POST') return this.#createUpload(response, key);
    const uploadId = q.get('uploadId');
    if (uploadId !== null) {
      const upload = this.uploads.get(uploadId);
      if (!upload || upload.key !== key) return this.#error(response, 404, 'NoSuchUpload');
      if (method === 'PUT') return this.#uploadPart(response, upload, Number(q.get('partNumber')), body);
      if (method === 'GET') return this.#listParts(response, uploadId, upload);
      if (method === 'POST') return this.#complete(response, uploadId, upload, body);
      if (method === 'DELETE') {
        this.calls.push('AbortMultipartUpload');
        this.uploads.delete(uploadId);
        response.writeHead(204).end();
        return;
      }
    }
    const object = this.objects.get(key);
    switch (method) {
      case 'PUT': {
        this.calls.push('PutObject');
        const metadata: Record<string, string> = {};
        for (const [name, value] of Object.entries(request.headers)) if (name.startsWith('x-amz-meta-')) metadata[name] = String(value);
        this.objects.set(key, { body, metadata, modified: new Date() });
        response.writeHead(200, { etag: etag(body) }).end();
        return;
      }
      case 'GET':
      case 'HEAD': {
        this.calls.push(method === 'GET' ? 'GetObject' : 'HeadObject');
        if (!object) {
          if (method === 'HEAD') response.writeHead(404).end();
          else this.#error(response, 404, 'NoSuchKey');
          return;
        }
        response.writeHead(200, {
          'content-length': String(object.body.length),
          'content-type': 'application/octet-stream',
          etag: etag(object.body),
          'last-modified': object.modified.toUTCString(),
          ...object.metadata,
        });
        response.end(method === 'GET' ? object.body : undefined);
        return;
      }
      case 'DELETE':
        this.calls.push('DeleteObject');
        this.objects.delete(key);
        response.writeHead(204).end();
        return;
      default:
        this.#error(response, 400, 'NotImplemented', method);
    }
  }

  #list(response: ServerResponse, q: URLSearchParams): void {
    this.calls.push('ListObjectsV2');
    const max = Math.min(Number(q.get('max-keys') ?? 1000), this.pageSize);
    const after = q.get('continuation-token') ?? q.get('start-after') ?? '';
    const prefix = q.get('prefix') ?? '';
    const keys = this.keys().filter((k) => k > after && k.startsWith(prefix));
    const page = keys.slice(0, max);
    const truncated = keys.length > page.length;
    const contents = page
      .map((k) => {
        const o = this.objects.get(k)!;
        return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${o.modified.toISOString()}</LastModified><ETag>${etag(o.body)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const next = truncated ? `<NextContinuationToken>${xmlEscape(page.at(-1)!)}</NextContinuationToken>` : '';
    this.#xml(
      response,
      `<ListBucketResult><Name>${this.bucket}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`,
    );
  }

  #deleteSeveral(response: ServerResponse, body: Buffer): void {
    this.calls.push('DeleteObjects');
    const keys = [...body.toString('utf8').matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
    for (const k of keys) this.objects.delete(k);
    this.#xml(response, `<DeleteResult>${keys.map((k) => `<Deleted><Key>${xmlEscape(k)}</Key></Deleted>`).join('')}</DeleteResult>`);
  }

  #createUpload(response: ServerResponse, key: string): void {
    this.calls.push('CreateMultipartUpload');
    const uploadId = randomUUID();
    this.uploads.set(uploadId, { key, parts: new Map() });
    this.#xml(response, `<InitiateMultipartUploadResult><Bucket>${this.bucket}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`);
  }

  #uploadPart(response: ServerResponse, upload: MultipartUpload, partNumber: number, body: Buffer): void {
    this.calls.push('UploadPart');
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) return this.#error(response, 400, 'InvalidArgument', 'partNumber');
    upload.parts.set(partNumber, body);
    response.writeHead(200, { etag: etag(body) }).end();
  }

  #listParts(response: ServerResponse, uploadId: string, upload: MultipartUpload): void {
    this.calls.push('ListParts');
    const parts = [...upload.parts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([n, part]) => `<Part><PartNumber>${n}</PartNumber><ETag>${etag(part)}</ETag><Size>${part.length}</Size></Part>`)
      .join('');
    this.#xml(
      response,
      `<ListPartsResult><Bucket>${this.bucket}</Bucket><Key>${xmlEscape(upload.key)}</Key><UploadId>${uploadId}</UploadId><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>${parts}</ListPartsResult>`,
    );
  }

  #complete(response: ServerResponse, uploadId: string, upload: MultipartUpload, body: Buffer): void {
    this.calls.push('CompleteMultipartUpload');
    const numbers = [...body.toString('utf8').matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
    if (numbers.length === 0 || numbers.some((n) => !upload.parts.has(n))) return this.#error(response, 400, 'InvalidPart');
    // S3's rule: every part but the last is at least 5 MiB.
    if (numbers.slice(0, -1).some((n) => upload.parts.get(n)!.length < 5 * 1024 * 1024)) return this.#error(response, 400, 'EntityTooSmall');
    const whole = Buffer.concat(numbers.map((n) => upload.parts.get(n)!));
    this.objects.set(upload.key, { body: whole, metadata: {}, modified: new Date() });
    this.uploads.delete(uploadId);
    this.#xml(
      response,
      `<CompleteMultipartUploadResult><Location>${this.url}/${this.bucket}/${xmlEscape(upload.key)}</Location><Bucket>${this.bucket}</Bucket><Key>${xmlEscape(upload.key)}</Key><ETag>${etag(whole)}</ETag></CompleteMultipartUploadResult>`,
    );
  }
}
