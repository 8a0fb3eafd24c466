/**
 * fast-check arbitraries derived from the JSON schemas of the OpenAPI document: values the
 * schema accepts, mixed with hostile ones (control characters, lone surrogates, huge and odd
 * numbers, non-canonical base64url, overlong strings, deep nesting, duplicate keys, wrong
 * types). Values are JSON trees that may hold RawJson and JsonObject, which toJsonText writes
 * as JSON text that JSON.stringify cannot make (`1e400`, `-0`, a key twice).
 */
import fc from 'fast-check';

/** The subset of JSON schema the routes use. */
export interface JsonSchema {
  type?: string | readonly string[];
  properties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
  additionalProperties?: boolean;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  enum?: readonly unknown[];
  const?: unknown;
  anyOf?: readonly JsonSchema[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
}

/** JSON text written as it is. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** An object as a list of entries, so that a key may appear twice. */
export class JsonObject {
  constructor(readonly entries: ReadonlyArray<readonly [string, unknown]>) {}
}

export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof JsonObject) return `{${value.entries.map(([key, inner]) => `${JSON.stringify(key)}:${toJsonText(inner)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value === undefined) return 'null';
  return JSON.stringify(value);
}

/** The value as a query-string or path text: what a client would put there. */
export function toText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (typeof value === 'string') return value;
  return toJsonText(value);
}

export interface ArbitraryOptions {
  /** Put into hostile strings and names: an answer that contains it echoes the request. */
  marker: string;
  /**
   * Values of the world (a real case id, an adviser's key id) by property name, or by
   * `parent.name` where one name means different things (`report.ciphertext`), to get past lookups.
   */
  hints?: Readonly<Record<string, fc.Arbitrary<unknown>>>;
}

/** Strings without a maximum are kept short; overlong ones are a hostile case of their own. */
const DEFAULT_MAX_LENGTH = 40;
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The hint name of a property: `report.ciphertext`; the last part alone is tried too. */
const inside = (parent: string | undefined, key: string) => (parent === undefined ? key : `${parent.replace(/^.*\./, '')}.${key}`);

const typesOf = (schema: JsonSchema): string[] => (schema.type === undefined ? [] : typeof schema.type === 'string' ? [schema.type] : [...schema.type]);

/** `^[class]*$`, `^[class]+$`, `^[class]{n}$`: one character class repeated, as every route pattern is. */
const REPEATED_CLASS = /^\^(\[(?:\\.|[^\]\\])*\])(\*|\+|\{(\d+)(?:,(\d*))?\})\$$/;

function validString(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'date-time') {
    return fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  }
  let minLength = schema.minLength ?? 0;
  let maxLength = schema.maxLength ?? Math.max(minLength, DEFAULT_MAX_LENGTH);
  if (schema.pattern === undefined) return fc.string({ minLength, maxLength, unit: 'grapheme' });
  const repeated = REPEATED_CLASS.exec(schema.pattern);
  if (repeated) {
    const [, characterClass, quantifier, exact, upTo] = repeated;
    if (quantifier === '+') minLength = Math.max(minLength, 1);
    if (exact !== undefined) {
      minLength = Math.max(minLength, Number(exact));
      maxLength = Math.min(maxLength, upTo === undefined ? Number(exact) : upTo === '' ? maxLength : Number(upTo));
    }
    const unit = fc.stringMatching(new RegExp(`^${characterClass}$`, 'u'));
    return fc.string({ unit, minLength, maxLength });
  }
  // Ajv compiles patterns with the u flag; so does this.
  return fc.stringMatching(new RegExp(schema.pattern, 'u')).filter((s) => s.length >= minLength && s.length <= maxLength);
}

/** A value the schema accepts, or a hint of the same name (which may well be the one that works). */
export function validValue(schema: JsonSchema, options: ArbitraryOptions, name?: string): fc.Arbitrary<unknown> {
  const hint = name === undefined ? undefined : (options.hints?.[name] ?? options.hints?.[name.replace(/^.*\./, '')]);
  const plain = schemaValue(schema, options, name);
  return hint === undefined ? plain : fc.oneof({ arbitrary: hint, weight: 5 }, { arbitrary: plain, weight: 1 });
}

function schemaValue(schema: JsonSchema, options: ArbitraryOptions, name?: string): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum);
  if (schema.anyOf !== undefined) return fc.oneof(...schema.anyOf.map((branch) => validValue(branch, options)));
  const types = typesOf(schema);
  if (types.length > 1) return fc.oneof(...types.map((type) => validValue({ ...schema, type }, options)));
  switch (types[0]) {
    case 'string':
      return validString(schema);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 4, 4));
      return fc.array(validValue(schema.items ?? {}, options), { minLength, maxLength });
    }
    case 'object':
    case undefined: {
      const properties = Object.entries(schema.properties ?? {});
      if (properties.length === 0 && types[0] === undefined) return fc.jsonValue();
      const required = new Set(schema.required ?? []);
      // Optional fields are left out half the time: a request with every extension is one case among many.
      const keys = properties.map(([key, inner]) =>
        required.has(key) ? validValue(inner, options, inside(name, key)).map((v) => [[key, v] as const]) : fc.option(validValue(inner, options, inside(name, key)), { nil: undefined, freq: 1 }).map((v) => (v === undefined ? [] : [[key, v] as const])),
      );
      return fc.tuple(...keys).map((entries) => new JsonObject(entries.flat()));
    }
    default:
      throw new Error(`schema-arbitrary: no arbitrary for type ${String(types[0])}`);
  }
}

/** Text no protocol field needs: each carries the marker, so an echo is seen. */
function hostileStrings(options: ArbitraryOptions): fc.Arbitrary<string> {
  const m = options.marker;
  return fc.constantFrom(
    `${m}\u0000`,
    `a\u0000${m}`,
    `${m}\u001b[31m`,
    `${m}\u007f\u0085`,
    `\ud800${m}`,
    `${m}\udfff`,
    `${m}\udc00\ud800`,
    `\ufeff${m}`,
    `${m}\u202e`,
    `${m}\r\nX-Injected: 1`,
    `${m}${'x'.repeat(100_000)}`,
    `${m}<script>`,
    `../../${m}`,
    `${m}%00`,
    m,
  );
}

/** Strings that are not what a field means, though some look like numbers or keywords. */
const ODD_STRINGS = fc.constantFrom('', ' ', 'NaN', 'Infinity', '-Infinity', '-0', '1e308', '9007199254740993', 'null', 'true', '0x10', '１２３４５６', 'ǅ');

/** base64url that a lax decoder would take: padding, the `+/` alphabet, trailing bits set, a space. */
function nonCanonicalBase64url(length: number): fc.Arbitrary<string> {
  const body = fc.string({ unit: fc.constantFrom(...B64URL), minLength: Math.max(length, 2), maxLength: Math.max(length, 2) });
  return fc.tuple(body, fc.nat({ max: 5 })).map(([text, how]) => {
    switch (how) {
      case 0:
        return `${text.slice(0, -1)}=`;
      case 1:
        return `${text.slice(0, -2)}==`;
      case 2:
        return `${text.slice(0, -1)}+`;
      case 3:
        return `/${text.slice(1)}`;
      case 4:
        // A last symbol whose low bits are set: decodes, but does not encode back to itself.
        return `${text.slice(0, -1)}${length % 4 === 2 ? 'B' : length % 4 === 3 ? 'b' : '_'}`;
      default:
        return ` ${text.slice(1)}`;
    }
  });
}

const HOSTILE_NUMBERS = fc.constantFrom<unknown>(
  new RawJson('1e400'),
  new RawJson('-1e400'),
  new RawJson('-0'),
  new RawJson('1.0'),
  new RawJson('1E2'),
  new RawJson('123456789012345678901234567890'),
  new RawJson('9007199254740993'),
  new RawJson('0.1e-400'),
  1e308,
  -1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  -1,
  0,
  1.5,
);

/** `[[[…]]]` and `{"a":{"a":…}}` deeper than any schema. */
const DEEP = fc.constantFrom(
  new RawJson(`${'['.repeat(5000)}${']'.repeat(5000)}`),
  new RawJson(`${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`),
  new RawJson(`${'['.repeat(200_000)}${']'.repeat(200_000)}`),
);

const WRONG_TYPES = fc.constantFrom<unknown>(null, true, false, 0, 1, '', [], new JsonObject([]), ['x'], new JsonObject([['0', 'x']]));

/** A value the schema (or the route behind it) should refuse; a few are edge values it may take. */
export function hostileValue(schema: JsonSchema, options: ArbitraryOptions): fc.Arbitrary<unknown> {
  const generic: Array<fc.WeightedArbitrary<unknown>> = [
    { arbitrary: WRONG_TYPES, weight: 2 },
    { arbitrary: hostileStrings(options), weight: 2 },
    { arbitrary: HOSTILE_NUMBERS, weight: 1 },
    { arbitrary: DEEP, weight: 1 },
  ];
  const specific: Array<fc.WeightedArbitrary<unknown>> = [];
  const types = typesOf(schema);
  if (schema.anyOf !== undefined) {
    specific.push({ arbitrary: fc.oneof(...schema.anyOf.map((branch) => hostileValue(branch, options))), weight: 4 });
  }
  if (schema.enum !== undefined || schema.const !== undefined) {
    const allowed = schema.enum ?? [schema.const];
    const near = allowed.flatMap((v) => (typeof v === 'string' ? [v.toUpperCase(), ` ${v}`, `${v}\u0000`, `${v}${options.marker}`] : [String(v), [v]]));
    specific.push({ arbitrary: fc.constantFrom<unknown>(...near, options.marker), weight: 4 });
  }
  if (types.includes('string')) {
    specific.push({ arbitrary: ODD_STRINGS, weight: 2 });
    const max = schema.maxLength ?? DEFAULT_MAX_LENGTH;
    specific.push({ arbitrary: fc.constantFrom(`${options.marker}${'A'.repeat(max + 1)}`, 'A'.repeat(max + 1), 'A'.repeat(Math.max(0, (schema.minLength ?? 1) - 1))), weight: 2 });
    if (schema.pattern?.startsWith('^[A-Za-z0-9_-]')) specific.push({ arbitrary: nonCanonicalBase64url(schema.minLength ?? 22), weight: 4 });
    if (schema.format === 'date-time') {
      specific.push({ arbitrary: fc.constantFrom('2024-02-30T00:00:00Z', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00Z', '2024-01-01', `2024-01-01T00:00:00Z${options.marker}`), weight: 2 });
    }
  }
  if (types.includes('integer') || types.includes('number')) {
    const bounds = [schema.minimum, schema.maximum].filter((b): b is number => b !== undefined);
    const outside = bounds.flatMap((b) => [b - 1, b + 1, b - 0.5]);
    specific.push({ arbitrary: fc.oneof(HOSTILE_NUMBERS, fc.constantFrom<unknown>(...outside, '1', '0')), weight: 4 });
  }
  if (types.includes('array')) {
    const items = schema.items ?? {};
    const tooMany = (schema.maxItems ?? 64) + 1;
    specific.push({ arbitrary: fc.array(validValue(items, options), { minLength: tooMany, maxLength: tooMany }), weight: 1 });
    specific.push({ arbitrary: fc.constant([]), weight: 1 });
    specific.push({ arbitrary: fc.array(fuzzValue(items, options), { minLength: 1, maxLength: 3 }), weight: 3 });
  }
  if (types.includes('object') || (types.length === 0 && schema.properties !== undefined)) {
    specific.push({ arbitrary: hostileObject(schema, options), weight: 8 });
  }
  return fc.oneof(...specific, ...generic);
}

/** A valid object with one thing wrong: a field hostile, missing, unknown, doubled, or a poisoning key. */
function hostileObject(schema: JsonSchema, options: ArbitraryOptions): fc.Arbitrary<unknown> {
  const properties = Object.entries(schema.properties ?? {});
  const valid = schemaValue(schema, options) as fc.Arbitrary<JsonObject>;
  const mutations: Array<fc.Arbitrary<unknown>> = [
    valid.map((o) => new JsonObject([...o.entries, [options.marker, 1]])),
    valid.map((o) => new JsonObject([...o.entries, ['__proto__', new JsonObject([['isAdmin', true]])]])),
    valid.map((o) => new JsonObject([...o.entries, ['constructor', new JsonObject([['prototype', new JsonObject([])]])]])),
  ];
  if (properties.length > 0) {
    const index = fc.nat({ max: properties.length - 1 });
    // One field replaced by a hostile value of its own schema, the others valid.
    mutations.push(
      fc.tuple(valid, index).chain(([o, i]) => {
        const [key, inner] = properties[i] as [string, JsonSchema];
        return hostileValue(inner, options).map((bad) => new JsonObject([...o.entries.filter(([k]) => k !== key), [key, bad]]));
      }),
      // A required field missing.
      fc.tuple(valid, index).map(([o, i]) => new JsonObject(o.entries.filter(([k]) => k !== properties[i]?.[0]))),
      // A key twice: the second valid, so a parser that keeps the last one would accept it.
      fc.tuple(valid, index).chain(([o, i]) => {
        const [key, inner] = properties[i] as [string, JsonSchema];
        return validValue(inner, options, key).map((again) => new JsonObject([...o.entries, [key, again]]));
      }),
    );
  }
  // A hostile field most often: the JSON-level refusals (a key twice, a poisoning key) end at the parser.
  const weights = [2, 1, 1, 6, 2, 1];
  return fc.oneof(...mutations.map((arbitrary, i) => ({ arbitrary, weight: weights[i] ?? 1 })));
}

/** What the fuzz sends for a schema: half valid (so requests get past validation), half hostile. */
export function fuzzValue(schema: JsonSchema, options: ArbitraryOptions, name?: string): fc.Arbitrary<unknown> {
  return fc.oneof(validValue(schema, options, name), hostileValue(schema, options));
}
