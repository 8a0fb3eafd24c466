// Files that carry metadata, for the metadata tests in Node and in Chromium.

export const ascii = (s: string) => Buffer.from(s, 'latin1');

/** A little-endian TIFF: IFD0 with camera, time, artist and a GPS IFD at 52°22'12.34"N 4°53'0"E. */
export function exifTiff(): Buffer {
  const strings = ['Apple\0', 'iPhone 12\0', '2026:11:30 10:00:00\0', 'Jan Jansen\0'];
  const ifd0Entries = 5;
  const ifd0 = 8;
  const ifd0Size = 2 + ifd0Entries * 12 + 4;
  const gps = ifd0 + ifd0Size;
  const gpsEntries = 4;
  const gpsSize = 2 + gpsEntries * 12 + 4;
  let data = gps + gpsSize;
  const out = Buffer.alloc(400);
  out.write('II', 0, 'latin1');
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(ifd0, 4);
  const entry = (at: number, tag: number, type: number, count: number, value: number | Buffer) => {
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(count, at + 4);
    if (typeof value === 'number') out.writeUInt32LE(value, at + 8);
    else if (value.length <= 4) value.copy(out, at + 8);
    else {
      value.copy(out, data);
      out.writeUInt32LE(data, at + 8);
      data += value.length;
    }
  };
  out.writeUInt16LE(ifd0Entries, ifd0);
  [0x10f, 0x110, 0x132, 0x13b].forEach((tag, i) => entry(ifd0 + 2 + i * 12, tag, 2, strings[i]!.length, ascii(strings[i]!)));
  entry(ifd0 + 2 + 4 * 12, 0x8825, 4, 1, gps);
  const rationals = (values: Array<[number, number]>) => {
    const b = Buffer.alloc(values.length * 8);
    values.forEach(([n, d], i) => {
      b.writeUInt32LE(n, i * 8);
      b.writeUInt32LE(d, i * 8 + 4);
    });
    return b;
  };
  out.writeUInt16LE(gpsEntries, gps);
  entry(gps + 2, 1, 2, 2, ascii('N\0'));
  entry(gps + 14, 2, 5, 3, rationals([[52, 1], [22, 1], [1234, 100]]));
  entry(gps + 26, 3, 2, 2, ascii('E\0'));
  entry(gps + 38, 4, 5, 3, rationals([[4, 1], [53, 1], [0, 1]]));
  return out.subarray(0, data);
}

const segment = (marker: number, body: Buffer) => Buffer.concat([Buffer.from([0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff]), body]);
/**
 * `jpeg` (a whole JPEG, or by default a stub whose image data is not real) with an EXIF segment
 * (exifTiff) and a comment put right after its start marker.
 */
export const jpegWithExif = (jpeg: Buffer = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]), Buffer.alloc(100)])) =>
  Buffer.concat([jpeg.subarray(0, 2), segment(0xe1, Buffer.concat([ascii('Exif\0\0'), exifTiff()])), segment(0xfe, ascii('gemaakt op kantoor')), jpeg.subarray(2)]);

