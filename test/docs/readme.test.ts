/**
 * The README states the limits of the secure noise (issue 12, item 8): what node:crypto
 * protects against, what it does not (floating-point attacks on the Gaussian mechanism), the
 * sources, and what a user should do. The section must also be reachable from where the
 * README first promises "a real guarantee".
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md'), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`## ${title}`);
  expect(start, `README section "${title}"`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 3);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe('README: secure noise', () => {
  it('says what node:crypto noise protects against, what it does not, and what to do', () => {
    const s = section('What the secure noise protects against');
    expect(s).toMatch(/node:crypto/);
    expect(s).toMatch(/predict/); // what it does protect against
    expect(s).toMatch(/Mironov \(CCS 2012/);
    expect(s).toMatch(/floating-point/);
    expect(s).toMatch(/Opacus/);
    expect(s).toMatch(/secure_mode/);
    expect(s).toMatch(/If that threat matters to you:\n(- .*\n( {2}.*\n)*){3}/);
    expect(readme).toMatch(/a real guarantee, with\s+the limits in "What the secure noise protects against"/);
  });
});
