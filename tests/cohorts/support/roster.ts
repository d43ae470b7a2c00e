/**
 * A member list of any size for tests and benches (the 300-member portal test, the 10,000-member
 * import bench): deterministic for a seed, RFC 4180 CSV with CRLF line ends.
 */
export interface RosterOptions {
  targets?: string[];
  levels?: string[];
  /** Fraction of rows with an e-mail address (the rest are name-only); default 0.8. */
  emailShare?: number;
  /** Row i's person; default `Member <i>` with `member<i>@example.org`. */
  person?: (i: number) => { name: string; email: string };
  seed?: number;
}

export interface GeneratedMember {
  name: string;
  email: string | null;
  level: string;
  target: string;
}

/** Small deterministic PRNG (mulberry32), so a seed always gives the same list. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function rosterMembers(n: number, options: RosterOptions = {}): GeneratedMember[] {
  const targets = options.targets ?? ['aws-serverless'];
  const levels = options.levels ?? ['foundation', 'intermediate', 'advanced'];
  const share = options.emailShare ?? 0.8;
  const person = options.person ?? ((i: number) => ({ name: `Member ${i}`, email: `member${i}@example.org` }));
  const next = random(options.seed ?? 1);
  return Array.from({ length: n }, (_, k) => {
    const { name, email } = person(k + 1);
    return {
      name,
      email: next() < share ? email : null,
      level: levels[Math.floor(next() * levels.length)]!,
      target: targets[Math.floor(next() * targets.length)]!,
    };
  });
}

const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

export function rosterCsv(members: readonly GeneratedMember[]): string {
  return ['name,email,level,target', ...members.map((m) => [m.name, m.email ?? '', m.level, m.target].map(cell).join(','))].join('\r\n') + '\r\n';
}

/** `n` members as CSV text (see RosterOptions). */
export function generateRosterCsv(n: number, options: RosterOptions = {}): string {
  return rosterCsv(rosterMembers(n, options));
}
