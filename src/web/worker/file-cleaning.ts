/**
 * Looking at a chosen file before it is encrypted, and the cleaned copy sent by default: images
 * re-encoded from their pixels (EXIF, XMP, GPS and text chunks do not survive; EXIF orientation
 * is applied first, so the picture looks the same), PDFs with their document information blanked
 * in place (metadata.ts). Other types are sent as they are, and the page says they may carry an
 * author name.
 */
import { blankPdfMetadata, fileKind, findMetadata, METADATA_WINDOW, type FileKind, type Finding } from '../metadata.js';

export interface Inspection {
  kind: FileKind;
  findings: Finding[];
  /** Whether a cleaned copy can be made: images and PDFs. */
  cleanable: boolean;
}

const bytesOf = async (blob: Blob) => new Uint8Array(await blob.arrayBuffer());

/** The file's two ends: the head, and for a PDF the tail (they do not overlap). */
async function ends(file: File): Promise<{ head: Uint8Array; tail: Uint8Array }> {
  const headEnd = Math.min(file.size, METADATA_WINDOW);
  const head = await bytesOf(file.slice(0, headEnd));
  const tail = await bytesOf(file.slice(Math.max(headEnd, file.size - METADATA_WINDOW)));
  return { head, tail };
}

export async function inspectFile(file: File): Promise<Inspection> {
  const { head, tail } = await ends(file);
  const kind = fileKind(head);
  return { kind, findings: findMetadata(kind, head, tail), cleanable: kind !== 'other' };
}

/** The copy sent when the reporter keeps the default; the original for a type that cannot be cleaned. */
export async function cleanedFile(file: File): Promise<File> {
  const { head, tail } = await ends(file);
  const kind = fileKind(head);
  if (kind === 'jpeg' || kind === 'png') {
    const bitmap = await createImageBitmap(file);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    bitmap.close();
    const blob = await canvas.convertToBlob(kind === 'jpeg' ? { type: 'image/jpeg', quality: 0.95 } : { type: 'image/png' });
    return new File([blob], file.name, { type: blob.type });
  }
  if (kind === 'pdf') {
    const middle = file.slice(head.length, file.size - tail.length);
    return new File([blankPdfMetadata(head) as Uint8Array<ArrayBuffer>, middle, blankPdfMetadata(tail) as Uint8Array<ArrayBuffer>], file.name, { type: file.type || 'application/pdf' });
  }
  return file;
}
