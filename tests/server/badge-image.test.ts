import { badgeSvg, encodePng, wrapText, xmlText, type BadgeImageInput } from '../../src/server/badge-image';
import { linkedInAddToProfileUrl } from '../../src/server/badges';

const INPUT: BadgeImageInput = { status: 'valid', title: 'AWS Serverless Builder', track: 'AWS Serverless', trackId: 'aws-serverless', issuer: 'Example Academy', issuedAt: '2026-03-12T10:00:00Z' };

describe('badge SVG', () => {
  it('is deterministic: the same facts give the same bytes', () => {
    expect(badgeSvg(INPUT)).toBe(badgeSvg({ ...INPUT }));
  });

  it('escapes every text it shows, so a title cannot inject markup', () => {
    const svg = badgeSvg({ ...INPUT, title: '<script>alert(1)</script> & "quotes"', issuer: 'A&B <Academy>' });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('A&amp;B &lt;Academy&gt;');
    expect(svg.match(/<[a-z]+/g)?.filter((t) => !['<svg', '<title', '<rect', '<path', '<circle', '<text', '<tspan'].includes(t))).toEqual([]);
  });

  it('has an accessible title naming the badge, track, issuer and date', () => {
    expect(badgeSvg(INPUT)).toContain('<title id="badge-title">AWS Serverless Builder, AWS Serverless badge issued by Example Academy on 12 March 2026</title>');
  });

  it('says REVOKED, in grey, for a revoked credential', () => {
    const svg = badgeSvg({ ...INPUT, status: 'revoked' });
    expect(svg).toContain('>REVOKED</text>');
    expect(svg).toContain('this credential is revoked');
    expect(svg).not.toContain('#1d5fd1');
  });

  it('wraps a long title into at most three lines, ending the last in an ellipsis', () => {
    expect(wrapText('Serverless order workflows with Step Functions and EventBridge at scale', 20, 3)).toEqual(['Serverless order', 'workflows with Step', 'Functions and…']);
    expect(wrapText('short', 20, 3)).toEqual(['short']);
  });

  it('drops characters XML forbids', () => {
    expect(xmlText('a\u0000b\u0007c')).toBe('abc');
  });
});

describe('PNG encoder', () => {
  it('writes a valid PNG signature, IHDR and IEND', () => {
    const png = encodePng(2, 1, new Uint8Array([255, 0, 0, 0, 255, 0]));
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20), png[24], png[25]]).toEqual([2, 1, 8, 2]);
    expect(png.subarray(-8, -4).toString('ascii')).toBe('IEND');
  });
});

describe('LinkedIn add-to-profile link', () => {
  it('carries the certification name, organisation, issue and expiry month (1-12), URL and id', () => {
    const url = new URL(
      linkedInAddToProfileUrl({ name: 'AWS Serverless Builder', organizationName: 'Example & Co', issuedAt: '2026-01-31T23:30:00Z', validUntil: '2029-12-01T00:00:00Z', certUrl: 'https://badges.example/badges/abc', certId: 'abc' }),
    );
    expect(url.origin + url.pathname).toBe('https://www.linkedin.com/profile/add');
    expect([...url.searchParams]).toEqual([
      ['startTask', 'CERTIFICATION_NAME'],
      ['name', 'AWS Serverless Builder'],
      ['organizationName', 'Example & Co'],
      ['issueYear', '2026'],
      ['issueMonth', '1'],
      ['expirationYear', '2029'],
      ['expirationMonth', '12'],
      ['certUrl', 'https://badges.example/badges/abc'],
      ['certId', 'abc'],
    ]);
  });

  it('leaves out the expiry of a credential that does not expire', () => {
    const url = new URL(linkedInAddToProfileUrl({ name: 'X', organizationName: 'Y', issuedAt: '2026-05-01T00:00:00Z', validUntil: null, certUrl: 'https://b.example/x', certId: 'x' }));
    expect(url.searchParams.has('expirationYear')).toBe(false);
  });
});
