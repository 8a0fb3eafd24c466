/** An otpauth:// URI as an SVG QR code, drawn as one <path> (no innerHTML, no inline style). */
import { encode } from 'uqr';

/** The path of the dark modules of a QR matrix, one unit square each. */
export function qrPath(data: boolean[][]): string {
  let d = '';
  data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) d += `M${x} ${y}h1v1h-1z`;
    }),
  );
  return d;
}

export function QrCode(props: { value: string; label: string }) {
  const qr = encode(props.value, { ecc: 'M', border: 2 });
  return (
    <svg class="qr" viewBox={`0 0 ${qr.size} ${qr.size}`} role="img" aria-label={props.label} shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg">
      <rect width={qr.size} height={qr.size} fill="#ffffff" />
      <path d={qrPath(qr.data)} fill="#000000" />
    </svg>
  );
}
