/**
 * The badge's pictures, made here without any image library: an SVG with the achievement's text
 * (for the badge page and for anyone embedding the badge) and a 1200×630 PNG for link previews.
 *
 * Why both: LinkedIn, X (Twitter cards), Facebook and Slack fetch `og:image` server-side and accept
 * PNG, JPEG, GIF or WebP — not SVG — so the preview image must be a raster. Rasterising text needs
 * a font renderer, which SkillProof does not ship, so the PNG carries no text: it is the badge's
 * medal in its track's colour, and the card's title and description (og:title, og:description)
 * say what it is. Both are deterministic: the same credential facts give the same bytes.
 */
import { crc32, deflateSync } from 'node:zlib';

export type BadgeImageStatus = 'valid' | 'revoked' | 'expired' | 'invalid';

export interface BadgeImageInput {
  status: BadgeImageStatus;
  title: string;
  /** The track's label, e.g. "AWS Serverless". */
  track: string;
  trackId: string;
  issuer: string;
  /** ISO date-time the credential became valid. */
  issuedAt: string;
}

const TRACK_COLOURS: Record<string, { main: string; dark: string; rgb: [number, number, number]; darkRgb: [number, number, number] }> = {
  'aws-serverless': { main: '#1d5fd1', dark: '#0f3577', rgb: [29, 95, 209], darkRgb: [15, 53, 119] },
  'aws-agentic-ai': { main: '#6b3fc9', dark: '#3a1f78', rgb: [107, 63, 201], darkRgb: [58, 31, 120] },
};
const DEFAULT_COLOURS = { main: '#17794a', dark: '#0c4229', rgb: [23, 121, 74] as [number, number, number], darkRgb: [12, 66, 41] as [number, number, number] };
const GREY = { main: '#8a93a0', dark: '#4b5260', rgb: [138, 147, 160] as [number, number, number], darkRgb: [75, 82, 96] as [number, number, number] };

const coloursFor = (status: BadgeImageStatus, trackId: string) => (status === 'valid' ? TRACK_COLOURS[trackId] ?? DEFAULT_COLOURS : GREY);

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text for an SVG text node or attribute: XML-escaped, and without characters XML 1.0 forbids. */
export function xmlText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '').replace(/[&<>"']/g, (c) => XML_ESCAPES[c] as string);
}

/** Breaks `text` into at most `maxLines` lines of about `width` characters; the last line ends in … if cut. */
export function wrapText(text: string, width: number, maxLines: number): string[] {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const pieces = word.length > width ? (word.match(new RegExp(`.{1,${width}}`, 'g')) as string[]) : [word];
    for (const piece of pieces) {
      if (line && line.length + 1 + piece.length > width) {
        lines.push(line);
        line = piece;
      } else {
        line = line ? `${line} ${piece}` : piece;
      }
    }
  }
  if (line) lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = kept[maxLines - 1] as string;
  kept[maxLines - 1] = `${last.length >= width ? last.slice(0, width - 1) : last}…`;
  return kept;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "12 March 2026", in UTC (the same everywhere, so the image is deterministic). */
export function badgeDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

const STATUS_WORD: Record<Exclude<BadgeImageStatus, 'valid'>, string> = { revoked: 'REVOKED', expired: 'EXPIRED', invalid: 'NOT VALID' };

/** The badge as SVG (480×560): a medal with the title, track, issuer and date, and an accessible title. */
export function badgeSvg(input: BadgeImageInput): string {
  const c = coloursFor(input.status, input.trackId);
  const date = badgeDate(input.issuedAt);
  const titleLines = wrapText(input.title, 20, 3);
  const issuerLine = wrapText(`Issued by ${input.issuer}`, 34, 1)[0] ?? '';
  const stateWord = input.status === 'valid' ? null : STATUS_WORD[input.status];
  const label = stateWord
    ? `${input.title}: this credential is ${stateWord.toLowerCase()}`
    : `${input.title}, ${input.track} badge issued by ${input.issuer} on ${date}`;
  const titleTop = 232 - (titleLines.length - 1) * 15;
  return [
    '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="560" viewBox="0 0 480 560" role="img" aria-labelledby="badge-title">',
    `<title id="badge-title">${xmlText(label)}</title>`,
    '<rect width="480" height="560" rx="24" fill="#ffffff"/>',
    `<path d="M170 392 L140 540 L190 510 L222 548 L240 420 Z" fill="${c.dark}"/>`,
    `<path d="M310 392 L340 540 L290 510 L258 548 L240 420 Z" fill="${c.dark}"/>`,
    `<circle cx="240" cy="250" r="190" fill="${c.main}"/>`,
    '<circle cx="240" cy="250" r="168" fill="none" stroke="#ffffff" stroke-opacity="0.55" stroke-width="4"/>',
    `<text x="240" y="140" text-anchor="middle" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" font-size="17" font-weight="600" fill="#ffffff" letter-spacing="2">${xmlText(input.track.toUpperCase())}</text>`,
    `<text text-anchor="middle" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif" font-size="26" font-weight="700" fill="#ffffff">${titleLines
      .map((line, i) => `<tspan x="240" y="${titleTop + i * 31}">${xmlText(line)}</tspan>`)
      .join('')}</text>`,
    stateWord
      ? `<text x="240" y="322" text-anchor="middle" font-family="system-ui, Arial, sans-serif" font-size="30" font-weight="800" fill="#ffffff" letter-spacing="3">${stateWord}</text>`
      : `<text x="240" y="318" text-anchor="middle" font-family="system-ui, Arial, sans-serif" font-size="17" fill="#ffffff">${xmlText(date)}</text>`,
    `<text x="240" y="352" text-anchor="middle" font-family="system-ui, Arial, sans-serif" font-size="14" fill="#ffffff" fill-opacity="0.9">${xmlText(issuerLine)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

// ── PNG ─────────────────────────────────────────────────────────────────────────────────────

const PNG_WIDTH = 1200;
const PNG_HEIGHT = 630;

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A truecolour PNG from RGB rows (filter type 0 per row). */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: truecolour
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 6 })), chunk('IEND', Buffer.alloc(0))]);
}

/** Distance from (px, py) to the segment a–b. */
function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/**
 * The link-preview picture (1200×630, the size LinkedIn and X show large): the medal on a light
 * background, with a check mark for a valid credential and a cross for any other status.
 */
export function badgePreviewPng(status: BadgeImageStatus, trackId: string): Buffer {
  const c = coloursFor(status, trackId);
  const rgb = new Uint8Array(PNG_WIDTH * PNG_HEIGHT * 3);
  const background: [number, number, number] = [245, 247, 250];
  const cx = 600;
  const cy = 290;
  const radius = 210;
  const strokes: Array<[number, number, number, number]> =
    status === 'valid'
      ? [
          [505, 295, 570, 360],
          [570, 360, 700, 220],
        ]
      : [
          [520, 210, 680, 370],
          [680, 210, 520, 370],
        ];
  const set = (i: number, colour: readonly number[], alpha: number) => {
    for (let k = 0; k < 3; k++) rgb[i + k] = Math.round((rgb[i + k] as number) * (1 - alpha) + (colour[k] as number) * alpha);
  };
  for (let i = 0; i < rgb.length; i += 3) rgb.set(background, i);
  // Only the medal's box needs drawing; the rest is background.
  for (let y = cy - radius - 2; y < PNG_HEIGHT - 10; y++) {
    for (let x = cx - radius - 2; x <= cx + radius + 2; x++) {
      const i = (y * PNG_WIDTH + x) * 3;
      // Ribbons below the medal.
      const ribbon = y > 400 && y < 610 && ((x > 470 && x < 560 && x - 470 > (y - 400) * 0.25) || (x > 640 && x < 730 && 730 - x > (y - 400) * 0.25));
      if (ribbon && !(y > 560 && Math.abs(x - (x < 600 ? 515 : 685)) < (y - 560) * 0.9)) set(i, c.darkRgb, 1);
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      if (d > radius + 1) continue;
      set(i, c.rgb, Math.max(0, Math.min(1, radius - d + 0.5)));
      const ring = Math.abs(d - (radius - 24));
      if (ring < 4) set(i, [255, 255, 255], 0.55 * Math.max(0, Math.min(1, 3 - ring + 0.5)));
      let mark = Infinity;
      for (const [ax, ay, bx, by] of strokes) mark = Math.min(mark, segmentDistance(x + 0.5, y + 0.5, ax, ay, bx, by));
      if (mark < 23) set(i, [255, 255, 255], Math.max(0, Math.min(1, 22 - mark + 0.5)));
    }
  }
  return encodePng(PNG_WIDTH, PNG_HEIGHT, rgb);
}
