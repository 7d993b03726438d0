import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic, writeJsonAtomic } from '../../src/util/atomic-write.js';
import { InvalidArgumentError } from '../../src/util/errors.js';

describe('writeFileAtomic', () => {
  it('replaces the whole file and leaves no temporary files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-atomic-'));
    const p = join(dir, 'a.json');
    writeFileSync(p, 'old');
    writeJsonAtomic(p, { x: 1 });
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual({ x: 1 });
    expect(readdirSync(dir)).toEqual(['a.json']);
  });

  it('creates missing parent folders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-atomic-'));
    const p = join(dir, 'x', 'y', 'b.txt');
    writeFileAtomic(p, 'hello');
    expect(readFileSync(p, 'utf8')).toBe('hello');
  });

  it('leaves the old file untouched when the target cannot be replaced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-atomic-'));
    // The target is a non-empty directory: rename fails, and no temporary file remains.
    const target = join(dir, 'sub');
    writeFileAtomic(join(target, 'keep.txt'), 'k');
    expect(() => writeFileAtomic(target, 'new')).toThrow();
    expect(readdirSync(dir)).toEqual(['sub']);
    expect(readFileSync(join(target, 'keep.txt'), 'utf8')).toBe('k');
  });

  it('an output folder that cannot exist is an InvalidArgumentError, not a hang or a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpc-atomic-'));
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    expect(() => writeFileAtomic(join(file, 'sub', 'a.json'), '{}')).toThrow(InvalidArgumentError);
    expect(() => ensureDir(file)).toThrow(/is a file/);
    // Node 20's recursive mkdirSync never returns for this path; ours fails at once.
    expect(() => ensureDir('/proc/dp-canary-test/x')).toThrow(InvalidArgumentError);
  });
});

