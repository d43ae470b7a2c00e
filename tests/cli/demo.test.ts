import { existsSync } from 'node:fs';
import type { CliIo } from '../../src/cli/io';
import { main } from '../../src/cli/main';

describe('skillproof demo', () => {
  let out = '';
  let code: number;
  beforeAll(async () => {
    const io: CliIo = { out: (t) => void (out += `${t}\n`), err: (t) => void (out += `${t}\n`), setExitCode: () => undefined };
    code = await main(['demo'], io);
  });

  it('runs offline to the end', () => {
    expect(code).toBe(0);
    expect(out).toMatch(/\nNext: /);
  });

  it('takes the aws-serverless assessment on recorded evidence: passed, credentialed, verified, revoked', () => {
    const section = out.slice(out.indexOf('══ Attempts and credentials'));
    const steps = [...section.matchAll(/^\$ skillproof (\S+ \S+)/gm)].map((m) => m[1]);
    expect(steps).toEqual([
      'issuer init',
      'attempt start',
      'attempt submit',
      'credential issue',
      'credential show',
      'credential verify',
      'credential revoke',
      'credential verify',
      'attempt start',
      'attempt submit',
    ]);
    expect(section).toMatch(/Attempt att-[0-9a-f]+: PASSED · assessment aws-serverless/);
    expect(section).toMatch(/^ {2}VALID: credential urn:uuid:/m);
    expect(section).toMatch(/^ {2}REVOKED: credential urn:uuid:.*revocation bit \d+ is set/m);
  });

  it("shows a failing practice attempt's feedback: the failed checks with their hints", () => {
    const practice = out.slice(out.indexOf('══ A practice attempt'));
    expect(practice).toMatch(/Attempt att-[0-9a-f]+: FAILED · practice on task serverless-orders-api/);
    expect(practice).toMatch(/^ {6}FAIL {2}\S.*\n.*\n {12}hint: \S/m);
  });

  it('removes its temporary data directory', () => {
    const dir = /data directory (\S+), shown as \$SKILLPROOF_HOME/.exec(out)?.[1];
    expect(dir).toBeDefined();
    expect(existsSync(dir as string)).toBe(false);
  });
});
