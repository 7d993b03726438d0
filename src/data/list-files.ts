import { readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { InvalidArgumentError } from '../util/errors.js';

/**
 * Every regular file under `dir`, recursively, whose name `keep` accepts, in a stable order (by
 * path relative to `dir`, '/'-separated) so the same folder always gives the same corpus.
 * Hidden entries (names starting with '.') are skipped; an unreadable folder is an
 * InvalidArgumentError naming it.
 */
export function listFilesSorted(dir: string, keep: (name: string) => boolean): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      throw new InvalidArgumentError(`cannot read folder '${d}'`);
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && keep(e.name)) found.push(p);
    }
  };
  walk(dir);
  const key = (p: string): string => relative(dir, p).split(sep).join('/');
  return found.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
