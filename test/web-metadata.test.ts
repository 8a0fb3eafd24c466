// What a file carries besides its content (src/web/metadata.ts): EXIF with GPS in a JPEG and in a
// PNG, PNG text chunks, XMP, a PDF's document information in literal, escaped and UTF-16 hex
// strings; the PDF blanking keeps every byte in place; unknown types are 'other'.
import t from 'tap';
import { blankPdfMetadata, fileKind, findMetadata } from '../src/web/metadata.js';
import { ascii, exifTiff, jpegWithExif } from './helpers/metadata-files.js';

const chunk = (type: string, body: Buffer) => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, ascii(type), body, Buffer.alloc(4)]);
};
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const expectedExif = [
  { what: 'camera', value: 'Apple iPhone 12' },
  { what: 'taken', value: '2026:11:30 10:00:00' },
  { what: 'author', value: 'Jan Jansen' },
  { what: 'gps', value: '52.37009, 4.88333' },
];

t.test('a JPEG: EXIF camera, time, author and GPS position, and a comment', async (t) => {
  const jpeg = jpegWithExif();
  t.equal(fileKind(jpeg), 'jpeg');
  t.same(findMetadata('jpeg', jpeg), [...expectedExif, { what: 'comment', value: 'gemaakt op kantoor' }]);
  t.same(findMetadata('jpeg', Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.from([0xff, 0xda, 0, 2])])), [], 'a JPEG without metadata');
});

t.test('a PNG: eXIf, text chunks and XMP', async (t) => {
  const xmp = '<x:xmpmeta><dc:creator><rdf:Seq><rdf:li>Piet Pietersen</rdf:li></rdf:Seq></dc:creator><xmp:CreatorTool>GIMP 2.10</xmp:CreatorTool></x:xmpmeta>';
  const png = Buffer.concat([PNG, chunk('IHDR', Buffer.alloc(13)), chunk('eXIf', exifTiff()), chunk('tEXt', ascii('Author\0Jan Jansen')), chunk('iTXt', Buffer.concat([ascii('XML:com.adobe.xmp\0\0\0\0\0'), ascii(xmp)])), chunk('IEND', Buffer.alloc(0))]);
  t.equal(fileKind(png), 'png');
  t.same(findMetadata('png', png), [
    ...expectedExif,
    { what: 'text', value: 'Author: Jan Jansen' },
    { what: 'xmp', value: 'XMP' },
    { what: 'author', value: 'Piet Pietersen' },
    { what: 'software', value: 'GIMP 2.10' },
  ]);
});

t.test('a PDF: document information found, then blanked in place', async (t) => {
  const pdf = ascii(
    '%PDF-1.7\n1 0 obj\n<< /Author (Jan \\(J.\\) Jansen) /Producer <FEFF004D005300200057006F00720064> /Title (Fraude) /CreationDate (D:20261130) >>\nendobj\n' +
      '2 0 obj\n<< /Type /Metadata /Length 120 >>\nstream\n<x:xmpmeta><dc:creator><rdf:Seq><rdf:li>Jan Jansen</rdf:li></rdf:Seq></dc:creator></x:xmpmeta>\nendstream\nendobj\ntrailer\n<< /Info 1 0 R >>\n%%EOF\n',
  );
  t.equal(fileKind(pdf), 'pdf');
  t.same(findMetadata('pdf', pdf), [
    { what: 'author', value: 'Jan (J.) Jansen' },
    { what: 'software', value: 'MS Word' },
    { what: 'title', value: 'Fraude' },
    { what: 'taken', value: 'D:20261130' },
    { what: 'xmp', value: 'XMP' },
    { what: 'author', value: 'Jan Jansen' },
  ]);
  const blanked = blankPdfMetadata(pdf);
  t.equal(blanked.length, pdf.length, 'every byte stays where it was');
  t.notOk(Buffer.from(blanked).includes('Jansen'), 'no author left');
  t.same(findMetadata('pdf', blanked), [{ what: 'xmp', value: 'XMP' }], 'only the empty XMP packet is left');
  t.match(Buffer.from(blanked).toString('latin1'), /\/Author \( +\) \/Producer <(20)+> \/Title \( +\)/, 'the dictionary keeps its shape');
  const bare = ascii('%PDF-1.4\n%%EOF\n');
  t.equal(blankPdfMetadata(bare), bare, 'nothing to blank: the same bytes, not a copy');
});

t.test('other types are not looked into', async (t) => {
  t.equal(fileKind(ascii('PK\u0003\u0004 a Word document')), 'other');
  t.same(findMetadata('other', ascii('anything')), []);
});
