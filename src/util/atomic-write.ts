import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, basename, join, resolve } from 'node:path';
import { InvalidArgumentError } from './errors.js';
import { randomBytes } from 'node:crypto';

/**
 * Create a folder and its missing parents, one level at a time. (Node 20's recursive mkdirSync
 * loops forever on some paths, e.g. under /proc.) A path that cannot be a folder (a file is in
 * the way, no permission, a read-only or virtual file system) is an InvalidArgumentError naming it.
 */
export function ensureDir(dir: string): void {
  const target = resolve(dir);
  const missing: string[] = [];
  let p = target;
  for (;;) {
    try {
      if (!statSync(p).isDirectory()) throw new InvalidArgumentError(`cannot create folder ${target}: ${p} is a file`);
      break;
    } catch (err) {
      if (err instanceof InvalidArgumentError) throw err;
      const parent = dirname(p);
      if (parent === p) break;
      missing.push(p);
      p = parent;
    }
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      throw new InvalidArgumentError(`cannot create folder ${target}${code ? ` (${code} at ${d})` : ''}`);
    }
  }
}

/**
 * Write a file so that readers see either the old content or the whole new content, never a
 * half-written file: write to a temporary file in the same folder, fsync it, then rename over
 * the target (rename is atomic within one file system on POSIX).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  ensureDir(dir);
  const tmp = join(dir, `.tmp-${basename(path)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number;
  try {
    fd = openSync(tmp, 'w', 0o644);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InvalidArgumentError(`cannot write in folder ${dir}${code ? ` (${code})` : ''}`);
  }
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  // Persist the rename itself; not every platform lets a directory be opened for fsync.
  try {
    const dfd = openSync(dir, 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
  } catch { /* best effort */ }
}

/** JSON with a trailing newline, written atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + '\n');
}
