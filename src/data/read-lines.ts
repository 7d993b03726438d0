import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { InvalidArgumentError } from '../util/errors.js';

/** Bytes read at a time by {@link readLinesSync}. */
export const READ_CHUNK_BYTES = 1 << 20;

/**
 * The lines of a UTF-8 text file, read in chunks so that a file of any size streams (only
 * one chunk and the line being assembled are in memory). Lines end at \n, \r\n or \r and are
 * yielded without it. InvalidArgumentError when the file cannot be opened or read.
 */
export function* readLinesSync(path: string, chunkBytes = READ_CHUNK_BYTES): Generator<string> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    throw new InvalidArgumentError(`cannot read corpus file '${path}'`);
  }
  try {
    const buffer = Buffer.alloc(chunkBytes);
    const decoder = new StringDecoder('utf8');
    let pending = '';
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buffer, 0, chunkBytes, null);
      } catch {
        throw new InvalidArgumentError(`cannot read corpus file '${path}'`);
      }
      const text = n === 0 ? decoder.end() : decoder.write(buffer.subarray(0, n));
      pending += text;
      // A '\r' at the very end may be the first half of '\r\n': keep it until more text comes.
      const keepCr = n > 0 && pending.endsWith('\r');
      const parts = (keepCr ? pending.slice(0, -1) : pending).split(/\r\n|\r|\n/);
      pending = parts.pop()! + (keepCr ? '\r' : '');
      yield* parts;
      if (n === 0) break;
    }
    if (pending !== '') yield pending; // the last line, without a line break
  } finally {
    closeSync(fd);
  }
}
