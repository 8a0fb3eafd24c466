/**
 * What a file carries besides its content, read before it is encrypted so the reporter can see
 * it: EXIF (camera, time, GPS position, author) and XMP in JPEG and PNG, PNG text chunks, and a
 * PDF's document information. And the one cleaning done on bytes: a PDF's document information
 * and XMP author blanked in place, same length, so the file's cross-reference offsets stay true.
 * Images are cleaned by re-encoding in the worker (file-cleaning.ts). Pure functions on the first
 * and last bytes of a file: Node tests run them, and nothing reads a whole file.
 */

export type FileKind = 'jpeg' | 'png' | 'pdf' | 'other';

export interface Finding {
  /** What it is: an i18n key suffix (`files.meta.<what>`). */
  what: 'camera' | 'taken' | 'gps' | 'author' | 'software' | 'title' | 'comment' | 'xmp' | 'text';
  value: string;
}

/** How many bytes of each end of a file are read for metadata. */
export const METADATA_WINDOW = 1024 * 1024;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

export function fileKind(head: Uint8Array): FileKind {
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 8 && [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((b, i) => head[i] === b)) return 'png';
  if (latin1.decode(head.subarray(0, 1024)).includes('%PDF-')) return 'pdf';
  return 'other';
}

/** The metadata found in a file's first bytes (`head`) and, for PDFs, its last (`tail`). */
export function findMetadata(kind: FileKind, head: Uint8Array, tail: Uint8Array = new Uint8Array(0)): Finding[] {
  switch (kind) {
    case 'jpeg':
      return jpegMetadata(head);
    case 'png':
      return pngMetadata(head);
    case 'pdf':
      return dedupe([...pdfMetadata(head), ...pdfMetadata(tail)]);
    default:
      return [];
  }
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.what}\u0000${f.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// JPEG: segments from the start until the image data (SOS).
function jpegMetadata(bytes: Uint8Array): Finding[] {
  const found: Finding[] = [];
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1]!;
    if (marker === 0xda || marker === 0xd9) break;
    const length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const body = bytes.subarray(at + 4, Math.min(bytes.length, at + 2 + length));
    if (marker === 0xe1 && startsWith(body, 'Exif\u0000\u0000')) found.push(...exifFindings(body.subarray(6)));
    else if (marker === 0xe1 && startsWith(body, 'http://ns.adobe.com/xap/1.0/\u0000')) found.push(...xmpFindings(utf8.decode(body)));
    else if (marker === 0xfe) found.push({ what: 'comment', value: clip(utf8.decode(body)) });
    at += 2 + length;
  }
  return dedupe(found);
}

// PNG: chunks up to 1 MiB in; text, EXIF and XMP chunks.
function pngMetadata(bytes: Uint8Array): Finding[] {
  const found: Finding[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = view.getUint32(at);
    const type = latin1.decode(bytes.subarray(at + 4, at + 8));
    const body = bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + length));
    if (type === 'eXIf') found.push(...exifFindings(body));
    else if (type === 'tEXt' || type === 'iTXt' || type === 'zTXt') {
      const zero = body.indexOf(0);
      const keyword = latin1.decode(body.subarray(0, zero < 0 ? body.length : zero));
      if (keyword === 'XML:com.adobe.xmp') found.push(...xmpFindings(utf8.decode(body)));
      else if (type === 'tEXt') found.push({ what: 'text', value: clip(`${keyword}: ${latin1.decode(body.subarray(zero + 1))}`) });
      else found.push({ what: 'text', value: keyword });
    }
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return dedupe(found);
}

/** EXIF is a TIFF structure: IFD0 names the camera, the software and the author, and points at the GPS IFD. */
function exifFindings(tiff: Uint8Array): Finding[] {
  if (tiff.length < 8) return [];
  const little = tiff[0] === 0x49;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const u16 = (o: number) => view.getUint16(o, little);
  const u32 = (o: number) => view.getUint32(o, little);
  const entries = (offset: number): Map<number, { type: number; count: number; at: number }> => {
    const out = new Map<number, { type: number; count: number; at: number }>();
    if (offset + 2 > tiff.length) return out;
    const n = u16(offset);
    for (let i = 0; i < n && offset + 2 + i * 12 + 12 <= tiff.length; i++) {
      const e = offset + 2 + i * 12;
      const type = u16(e + 2);
      const count = u32(e + 4);
      const size = count * ({ 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1 }[type] ?? 1);
      out.set(u16(e), { type, count, at: size <= 4 ? e + 8 : u32(e + 8) });
    }
    return out;
  };
  const text = (entry: { count: number; at: number } | undefined) =>
    entry && entry.at + entry.count <= tiff.length ? latin1.decode(tiff.subarray(entry.at, entry.at + entry.count)).replace(/\u0000+$/u, '').trim() : '';
  const rationals = (entry: { count: number; at: number } | undefined) => {
    if (!entry || entry.at + entry.count * 8 > tiff.length) return [];
    return Array.from({ length: entry.count }, (_, i) => u32(entry.at + i * 8) / (u32(entry.at + i * 8 + 4) || 1));
  };
  try {
    const ifd0 = entries(u32(4));
    const found: Finding[] = [];
    const camera = [text(ifd0.get(0x10f)), text(ifd0.get(0x110))].filter(Boolean).join(' ');
    if (camera) found.push({ what: 'camera', value: camera });
    const taken = text(ifd0.get(0x132));
    if (taken) found.push({ what: 'taken', value: taken });
    const software = text(ifd0.get(0x131));
    if (software) found.push({ what: 'software', value: software });
    for (const tag of [0x13b, 0x8298]) {
      const author = text(ifd0.get(tag));
      if (author) found.push({ what: 'author', value: author });
    }
    const gpsPointer = ifd0.get(0x8825);
    if (gpsPointer) {
      const gps = entries(u32(gpsPointer.at));
      const degrees = (tag: number, refTag: number) => {
        const [d = 0, m = 0, s = 0] = rationals(gps.get(tag));
        const sign = /[SW]/.test(text(gps.get(refTag))) ? -1 : 1;
        return sign * (d + m / 60 + s / 3600);
      };
      if (gps.has(2) && gps.has(4)) found.push({ what: 'gps', value: `${degrees(2, 1).toFixed(5)}, ${degrees(4, 3).toFixed(5)}` });
    }
    return found;
  } catch {
    // A damaged EXIF block still counts as metadata: the cleaned copy drops it either way.
    return [{ what: 'text', value: 'EXIF' }];
  }
}

function xmpFindings(xml: string): Finding[] {
  const found: Finding[] = [{ what: 'xmp', value: 'XMP' }];
  const creator = /<dc:creator>[\s\S]*?<rdf:li[^>]*>([^<]*)<\/rdf:li>/.exec(xml)?.[1]?.trim();
  if (creator) found.push({ what: 'author', value: creator });
  const tool = /xmp:CreatorTool(?:="([^"]*)"|>([^<]*)<)/.exec(xml);
  const toolName = (tool?.[1] ?? tool?.[2])?.trim();
  if (toolName) found.push({ what: 'software', value: toolName });
  return found;
}

/** The document information keys a PDF names people and tools in. */
const PDF_INFO_KEYS: ReadonlyArray<readonly [string, Finding['what']]> = [
  ['Author', 'author'], ['Creator', 'software'], ['Producer', 'software'], ['Title', 'title'], ['Subject', 'title'], ['Keywords', 'title'], ['CreationDate', 'taken'], ['ModDate', 'taken'],
];
const PDF_VALUE = (key: string) => new RegExp(`/${key}\\s*(\\((?:\\\\.|[^\\\\)])*\\)|<[0-9A-Fa-f\\s]*>)`, 'g');

function pdfMetadata(bytes: Uint8Array): Finding[] {
  const text = latin1.decode(bytes);
  const found: Finding[] = [];
  for (const [key, what] of PDF_INFO_KEYS) {
    for (const match of text.matchAll(PDF_VALUE(key))) {
      const value = pdfString(match[1]!);
      if (value.trim() !== '') found.push({ what, value: clip(value) });
    }
  }
  if (text.includes('<x:xmpmeta')) {
    const start = text.indexOf('<x:xmpmeta');
    found.push(...xmpFindings(utf8.decode(bytes.subarray(start, Math.min(bytes.length, start + 64 * 1024)))));
  }
  return found;
}

/** A PDF literal `( … )` or hex `< … >` string as text (UTF-16 with its byte order mark, or PDFDocEncoding read as Latin-1). */
function pdfString(raw: string): string {
  let bytes: number[];
  if (raw.startsWith('<')) {
    const hex = raw.slice(1, -1).replace(/\s/g, '');
    bytes = Array.from({ length: Math.ceil(hex.length / 2) }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2).padEnd(2, '0'), 16));
  } else {
    const body = raw.slice(1, -1).replace(/\\([nrtbf()\\]|[0-7]{1,3})/g, (_, e: string) =>
      /^[0-7]/.test(e) ? String.fromCharCode(parseInt(e, 8)) : ({ n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' } as Record<string, string>)[e] ?? e,
    );
    bytes = Array.from(body, (c) => c.charCodeAt(0) & 0xff);
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    let out = '';
    for (let i = 2; i + 1 < bytes.length; i += 2) out += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
    return out;
  }
  return String.fromCharCode(...bytes);
}

/**
 * A PDF's bytes with every document-information value and XMP creator blanked: literal strings
 * become spaces, hex strings "20"s, XMP element text spaces; every byte stays where it was, so the
 * cross-reference table still points right. Returns the same array when there is nothing to blank.
 */
export function blankPdfMetadata(bytes: Uint8Array): Uint8Array {
  const text = latin1.decode(bytes);
  const out = new Uint8Array(bytes);
  let changed = false;
  const blank = (from: number, to: number, fill: string) => {
    for (let i = from; i < to; i++) out[i] = fill.charCodeAt((i - from) % fill.length);
    changed = true;
  };
  for (const [key] of PDF_INFO_KEYS) {
    for (const match of text.matchAll(PDF_VALUE(key))) {
      const start = match.index + match[0].length - match[1]!.length;
      const value = match[1]!;
      if (value.startsWith('(')) blank(start + 1, start + value.length - 1, ' ');
      else blank(start + 1, start + value.length - 1, '20');
    }
  }
  for (const match of text.matchAll(/<(dc:creator|xmp:CreatorTool|pdf:Producer|dc:title)>([\s\S]*?)<\/\1>/g)) {
    // Inside the element, only text between tags is blanked, so the XML stays well formed.
    const inner = match.index + match[0].indexOf('>') + 1;
    const content = match[2]!;
    for (const piece of content.matchAll(/>([^<]+)</g)) blank(inner + piece.index + 1, inner + piece.index + 1 + piece[1]!.length, ' ');
    if (!content.includes('<')) blank(inner, inner + content.length, ' ');
  }
  for (const match of text.matchAll(/(xmp:CreatorTool|pdf:Producer)="([^"]*)"/g)) {
    const start = match.index + match[1]!.length + 2;
    blank(start, start + match[2]!.length, ' ');
  }
  return changed ? out : bytes;
}

function startsWith(bytes: Uint8Array, prefix: string): boolean {
  return bytes.length >= prefix.length && latin1.decode(bytes.subarray(0, prefix.length)) === prefix;
}

const clip = (value: string) => (value.length > 120 ? `${value.slice(0, 117)}…` : value).replace(/[\u0000-\u001f]/gu, ' ').trim();
