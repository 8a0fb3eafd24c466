/**
 * JSON bodies, strictly: UTF-8 only (415 for another charset), no content encoding (415: a
 * gzip body would be a decompression bomb past the body limit, and no client needs it), and
 * no duplicate keys (400 invalid_json: two parsers could read `{"a":1,"a":2}` differently, and
 * a signature or check made on one reading would not hold for the other).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { invalid, unsupported } from '../errors.js';

const invalidJson = () => invalid('invalid_json', 'The body is not valid JSON.');

interface Frame {
  /** The keys seen so far; undefined for an array. */
  keys: Set<string> | undefined;
  /** The next string in this object is a key. */
  expectKey: boolean;
  /** The key this object is the value of, to refuse `constructor.prototype`. */
  parentKey: string | undefined;
}

/**
 * JSON.parse, refusing duplicate keys (also when spelt with escapes: "a" and "\u0061") and the
 * prototype-poisoning keys Fastify's default parser refuses. JSON.parse checks the syntax
 * first, so the scan that follows may assume well-formed JSON: one pass, decoding only keys.
 */
export function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidJson();
  }
  const stack: Frame[] = [];
  let lastKey: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Find the closing quote: one not preceded by an odd number of backslashes.
      let end = i;
      for (;;) {
        end = text.indexOf('"', end + 1);
        let slashes = 0;
        while (text.charCodeAt(end - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
      }
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (top.keys.has(key) || key === '__proto__' || (key === 'prototype' && top.parentKey === 'constructor')) throw invalidJson();
        top.keys.add(key);
        top.expectKey = false;
        lastKey = key;
      }
      i = end;
    } else if (c === 0x7b /* { */) {
      const top = stack[stack.length - 1];
      stack.push({ keys: new Set(), expectKey: true, parentKey: top?.keys ? lastKey : undefined });
    } else if (c === 0x5b /* [ */) {
      stack.push({ keys: undefined, expectKey: false, parentKey: undefined });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return value;
}

/** The charset parameter of a Content-Type, lower-cased; undefined when there is none. */
function charsetOf(contentType: string | undefined): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '')?.[1]?.toLowerCase();
}

export async function jsonBodies(app: FastifyInstance): Promise<void> {
  app.addHook('preParsing', async (request: FastifyRequest) => {
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw unsupported('unsupported_content_encoding', 'Bodies are accepted without Content-Encoding only.');
    }
  });

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, async (request: FastifyRequest, body: string | Buffer) => {
    const charset = charsetOf(request.headers['content-type']);
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      throw unsupported('unsupported_charset', 'JSON bodies are accepted in UTF-8 only.');
    }
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') throw invalidJson();
    return parseJson(text);
  });
}
