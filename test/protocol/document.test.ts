// docs/protocol.md against the code, so the two cannot drift: the record table against the
// ad functions and padding constants, the route tables against the OpenAPI document, the error
// list against every code src/server can raise, the constants table against constants.ts, and
// the examples against the vector files.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import * as constants from '../../src/protocol/constants.js';
import * as ad from '../../src/protocol/associated-data.js';
import { buildTestApp } from '../helper.js';
import type { ErrorKind } from '../../src/server/errors.js';
import { STATUS_OF_KIND } from '../../src/server/plugins/errors.js';

const root = new URL('../../', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs/protocol.md'), 'utf8');
const vectorFiles: Record<string, unknown> = {
  'code-v1.json': JSON.parse(readFileSync(join(root, 'docs/vectors/code-v1.json'), 'utf8')),
  'pinning-v1.json': JSON.parse(readFileSync(join(root, 'docs/vectors/pinning-v1.json'), 'utf8')),
  'case-reference-v1.json': JSON.parse(readFileSync(join(root, 'docs/vectors/case-reference-v1.json'), 'utf8')),
};

/** Every markdown table whose header row is exactly `headers`, as rows of trimmed cells. */
function tables(headers: string[]): string[][] {
  const rows: string[][] = [];
  const lines = doc.split('\n');
  const split = (line: string) => line.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim());
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line.startsWith('|') || split(line).join('|') !== headers.join('|')) continue;
    for (i += 2; i < lines.length && (lines[i] ?? '').startsWith('|'); i++) rows.push(split(lines[i] ?? ''));
  }
  return rows;
}

/** The backticked spans of a cell. */
const ticks = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');

t.test('the record table: every ad string and padding block is the code', async (t) => {
  const ids: Record<string, string> = { caseId: 'CASE', relayId: 'RELAY', fileId: 'FILE', username: 'alice' };
  // The ad function and padding constant (null: not padded) of each record kind.
  const kinds: Record<string, { make: (p: Record<string, string>) => string; block: number | null }> = {
    report: { make: (p) => ad.reportAd(p.caseId ?? ''), block: constants.REPORT_BLOCK },
    message: { make: (p) => ad.messageAd(p.caseId ?? '', p.author as ad.MessageAuthor), block: constants.MESSAGE_BLOCK },
    registration: { make: (p) => ad.registrationAd(p.caseId ?? ''), block: constants.REGISTRATION_BLOCK },
    hold: { make: (p) => ad.holdAd(p.caseId ?? ''), block: constants.HOLD_BLOCK },
    file: { make: (p) => ad.fileAd(p.caseId ?? '', p.fileId ?? ''), block: constants.FILE_HEADER_BLOCK },
    relay: { make: (p) => ad.relayAd(p.relayId ?? ''), block: constants.RELAY_BLOCK },
    'relay-copy': { make: (p) => ad.relayCopyAd(p.caseId ?? '', p.relayId ?? ''), block: constants.RELAY_BLOCK },
    // The code pads relay-thread messages as messages (staff.ts); both blocks are 1024.
    'relay-message': { make: (p) => ad.relayMessageAd(p.relayId ?? '', p.author as ad.RelayMessageAuthor), block: constants.MESSAGE_BLOCK },
    keys: { make: (p) => ad.keysAd(p.username ?? ''), block: null },
    recovery: { make: (p) => ad.recoveryAd(p.username ?? ''), block: null },
  };
  const rows = tables(['record', 'key', 'ad', 'block']);
  t.ok(rows.length >= Object.keys(kinds).length, `the table has ${rows.length} rows`);
  const seen = new Set<string>();
  let checked = 0;
  for (const [record, , adCell = '', blockCell = ''] of rows) {
    const [template, ...authors] = ticks(adCell);
    if (!template?.startsWith('confidant-v1/')) continue; // the file body: a secretstream, no ad
    const kind = template.split('/')[1] ?? '';
    const spec = kinds[kind];
    if (!spec) {
      t.fail(`record "${record}": no ad function known for ${template}`);
      continue;
    }
    seen.add(kind);
    t.equal(blockCell === '—' ? null : Number(blockCell), spec.block, `block of ${record}`);
    for (const author of template.includes('{author}') ? authors : ['']) {
      const params = { ...ids, author };
      const expected = template.replace(/\{(\w+)\}/g, (_, name: string) => params[name as keyof typeof params] ?? `?${name}`);
      let actual: string;
      try {
        actual = spec.make(params);
      } catch (error) {
        actual = `throws ${(error as Error).message}`;
      }
      t.equal(expected, actual, `ad of ${record}${author ? ` by ${author}` : ''}`);
      checked++;
    }
  }
  t.same([...seen].sort(), Object.keys(kinds).sort(), 'every ad function has a row');
  t.comment(`${checked} ad strings checked`);
});

t.test('the constants table and the derivation lines are constants.ts', async (t) => {
  const rows = tables(['constant', 'value', 'meaning']);
  t.ok(rows.length >= 30, `${rows.length} constants`);
  const table = constants as Record<string, unknown>;
  for (const [nameCell = '', valueCell = ''] of rows) {
    const name = ticks(nameCell)[0] ?? nameCell;
    const value = ticks(valueCell)[0] ?? valueCell;
    t.ok(name in table, `${name} exists`);
    t.equal(String(table[name]), value, name);
  }
  // The same numbers in the prose of §2 and §3, where a client author reads them.
  const derivation = /`seed = argon2id\(32, body, salt, (\d+), (\d+)\)`/.exec(doc);
  t.same(derivation?.slice(1).map(Number), [constants.CODE_ARGON2_OPS, constants.CODE_ARGON2_MEM], 'code argon2id parameters');
  const kdfIds = [...doc.matchAll(/kdf\((?:16|32), (\d+), seed\)/g)].map((m) => Number(m[1]));
  t.same(kdfIds, [constants.KDF_ID_MAILBOX, constants.KDF_ID_SIGN, constants.KDF_ID_BOX], 'kdf ids of mailboxId, sign and box seeds');
  t.match(doc, `crypto_kdf_derive_from_key(len, id, "${constants.KDF_CONTEXT}", key)`, 'kdf context');
  t.match(doc, `Crockford base32 \`${constants.CODE_ALPHABET}\``, 'code alphabet');
  t.match(doc, `new accounts use ops ${constants.STAFF_ARGON2_OPS} and mem ${constants.STAFF_ARGON2_MEM} `, 'staff argon2id parameters');
  t.match(doc, `Body**: ${constants.CODE_BODY_SYMBOLS} symbols`, 'code body length');
  t.match(doc, `Check**: ${constants.CODE_CHECK_SYMBOLS} symbols`, 'code check length');
  t.match(doc, `as ${constants.RECOVERY_KEY_SYMBOLS} Crockford base32 symbols`, 'recovery key length');
});

/** `METHOD /path` (OpenAPI's `{param}` form) for each row of the route tables. */
function documentedRoutes(): string[] {
  return tables(['method', 'path', 'auth', 'body → answer', 'errors']).map(([method = '', path = '']) => `${method} ${ticks(path)[0] ?? path}`);
}

t.test('the route tables are the OpenAPI document', async (t) => {
  const { app } = await buildTestApp(t);
  const openapi = (await app.inject('/api/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
  const served = Object.entries(openapi.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
  const documented = documentedRoutes();
  t.equal(new Set(documented).size, documented.length, 'no route is documented twice');
  t.same([...documented].sort(), [...served].sort(), `${served.length} routes`);
});

/** The code a call's first argument gives: a literal, a template (`${…}` becomes `<field>`), or a ternary of literals. */
function literalCodes(argument: string): string[] | null {
  const one = (text: string): string | null => {
    const m = /^\s*(['"`])([^'"`]*)\1\s*$/.exec(text);
    return m ? (m[2] ?? '').replace(/\$\{[^}]*\}/g, '<field>') : null;
  };
  const ternary = /\?([^:]+):(.+)$/.exec(argument);
  const parts = ternary ? [ternary[1] ?? '', ternary[2] ?? ''] : [argument];
  const codes = parts.map(one);
  return codes.every((c) => c !== null) ? (codes as string[]) : null;
}

/** The first argument of the call whose `(` is at `start`: up to the first comma outside brackets and strings. */
function firstArgument(source: string, start: number): string {
  let depth = 0;
  let quote = '';
  for (let i = start; i < source.length; i++) {
    const c = source[i] ?? '';
    if (quote) {
      if (c === quote && source[i - 1] !== '\\') quote = '';
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) return source.slice(start, i);
  }
  return source.slice(start);
}

/** Each helper of src/server/errors.ts, by the kind of error it raises. */
const helperKind: Record<string, ErrorKind> = {
  invalid: 'invalid', unauthenticated: 'unauthenticated', forbidden: 'forbidden', notFound: 'not_found', conflict: 'conflict',
  tooLarge: 'too_large', unsupported: 'unsupported', workRequired: 'work_required', throttled: 'throttled', unavailable: 'unavailable',
};

/** Every error code src/server can answer, with its status, found by reading the source. */
function serverCodes(t: Test): Map<string, number> {
  const found = new Map<string, number>();
  const add = (code: string, status: number, where: string) => {
    const known = found.get(code);
    if (known !== undefined && known !== status) t.fail(`${code} answers ${known} and ${status} (${where})`);
    found.set(code, status);
  };
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : name.endsWith('.ts') ? [join(dir, name)] : []));
  for (const file of walk(join(root, 'src/server'))) {
    const source = readFileSync(file, 'utf8');
    const where = file.slice(root.length);
    if (where === 'src/server/errors.ts') continue; // the helpers' own definitions
    const helpers = new RegExp(`\\b(${Object.keys(helperKind).join('|')})\\(`, 'g');
    for (const m of source.matchAll(helpers)) {
      const argument = firstArgument(source, (m.index ?? 0) + m[0].length);
      // A call without a literal first argument is not a raise (`databaseUnavailable()` calls one that is).
      if (argument.trim() === '') continue;
      const codes = literalCodes(argument);
      if (!codes) t.fail(`${where}: cannot read the code of ${m[0]}${argument})`);
      for (const code of codes ?? []) add(code, STATUS_OF_KIND[helperKind[m[1] ?? ''] ?? 'invalid'], where);
    }
    t.notMatch(source, /new DomainError\(/, `${where} raises through the helpers, whose codes this test reads`);
    // Answers built directly: the error plugin's table and the not-found handler.
    for (const m of source.matchAll(/status: (\d+), error: (['`])([^'`]+)\2/g)) add((m[3] ?? '').replace(/\$\{[^}]*\}/g, '<field>'), Number(m[1]), where);
    for (const m of source.matchAll(/status\((\d+)\)\.send\(\{ error: '([a-z_]+)'/g)) add(m[2] ?? '', Number(m[1]), where);
  }
  return found;
}

t.test('the error list is every code the server can raise', async (t) => {
  const listed = new Map(tables(['code', 'status', 'meaning']).map(([code = '', status = '']) => [ticks(code)[0] ?? code, Number(status)]));
  const raised = serverCodes(t);
  t.ok(raised.size >= 70, `${raised.size} codes found in src/server`);
  for (const [code, status] of raised) t.equal(listed.get(code), status, `${code} is listed with status ${status}`);
  for (const code of listed.keys()) t.ok(raised.has(code), `${code} is raised by src/server`);
  // Every code named in a route table is one of the list.
  const routeCodes = tables(['method', 'path', 'auth', 'body → answer', 'errors']).flatMap((row) => ticks(row[4] ?? ''));
  const patterns = [...listed.keys()].filter((c) => c.includes('<field>')).map((c) => new RegExp(`^${c.replace('<field>', '[a-z_]+')}$`));
  for (const code of new Set(routeCodes)) t.ok(listed.has(code) || patterns.some((p) => p.test(code)), `route error ${code} is in the list`);
  // The client's own refusals exist in src/protocol.
  const protocolSource = readdirSync(join(root, 'src/protocol'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(join(root, 'src/protocol', f), 'utf8'))
    .join('\n');
  for (const [cell = ''] of tables(['client error', 'meaning'])) {
    const code = ticks(cell)[0] ?? cell;
    t.match(protocolSource, `ProtocolError('${code}'`, `client error ${code} exists`);
  }
});

/** The value at a dotted path (`codes.1.display`) of a vector file. */
function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
}

/** Every string and number in a vector file. */
function leaves(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(leaves);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(leaves);
  return [String(value)];
}

t.test('the examples are the vectors', async (t) => {
  const rows = tables(['example', 'file', 'field']);
  t.ok(rows.length >= 5, `${rows.length} examples`);
  for (const [example = '', file = '', field = ''] of rows) {
    const value = ticks(example)[0] ?? example;
    t.equal(String(at(vectorFiles[file], ticks(field)[0] ?? field)), value, `${file} ${field}`);
    t.ok(doc.split(`\`${value}\``).length > 2, `${value} is used in the text as well as the table`);
  }
  // Anything shaped like a code or a fingerprint, anywhere in the text, is a vector's.
  const all = new Set(Object.values(vectorFiles).flatMap(leaves));
  const shaped = [...doc.matchAll(/`([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3}(?:-[0-9A-Z]{4}-[0-9A-Z]{4})?)`/g)].map((m) => m[1] ?? '');
  t.ok(shaped.length >= 2, `${shaped.length} codes and fingerprints in the text`);
  for (const value of shaped) t.ok(all.has(value), `${value} is in a vector file`);
  // And so is anything shaped like 16, 32 or 64 bytes of base64url (error codes are lower-case words).
  const bytes = [...doc.matchAll(/`([A-Za-z0-9_-]{22}|[A-Za-z0-9_-]{43}|[A-Za-z0-9_-]{86})`/g)]
    .map((m) => m[1] ?? '')
    .filter((value) => /[A-Z0-9]/.test(value));
  t.ok(bytes.length >= 3, `${bytes.length} byte strings in the text`);
  for (const value of bytes) t.ok(all.has(value), `${value} is in a vector file`);
});

t.test('nothing in the project points outside the repository', async (t) => {
  const walk = (path: string): string[] =>
    statSync(path).isDirectory() ? readdirSync(path).flatMap((name) => walk(join(path, name))) : [path];
  const files = ['README.md', 'SECURITY.md', 'docs', 'src', 'test', 'bench'].flatMap((p) => walk(join(root, p)));
  for (const file of files) {
    t.notMatch(readFileSync(file, 'utf8'), /\.\.\/shared|shared\/|protocol-v1\.md/, file.slice(root.length));
  }
});
