import { InvalidArgumentError } from '../../util/errors.js';

/**
 * Shell words without a shell: `--slurm-args` is split here and handed to sbatch as argv (no
 * shell ever sees it), and the scripts and dry-run print words quoted so that a shell reads
 * them back as the same argv.
 */

// Characters a shell would act on; outside quotes they are refused rather than passed on silently.
const SHELL_SPECIAL = new Set(['$', '`', ';', '|', '&', '<', '>', '(', ')', '*', '?', '[', ']', '{', '}', '~', '#', '!']);

/**
 * Split `text` into words the way a POSIX shell would for plain words: blanks separate,
 * 'single quotes' keep everything, "double quotes" keep everything but \" \\ \$ \`, and a
 * backslash outside quotes keeps the next character. Expansions, globs, pipes and redirections
 * are not supported: an unquoted special character, or an unterminated quote, is an
 * InvalidArgumentError naming `what` (for example '--slurm-args').
 */
export function splitShellWords(text: string, what: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new InvalidArgumentError(`${what}: unterminated ' quote`);
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length && '"\\$`'.includes(text[j + 1]!)) j++;
        else if (text[j] === '$' || text[j] === '`') throw new InvalidArgumentError(`${what}: expansions ($, \`) are not supported; give the values themselves`);
        word += text[j];
      }
      if (j >= text.length) throw new InvalidArgumentError(`${what}: unterminated " quote`);
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new InvalidArgumentError(`${what}: a backslash ends the text`);
      word += text[++i];
    } else if (SHELL_SPECIAL.has(c)) {
      throw new InvalidArgumentError(`${what}: '${c}' is not supported here (plain options only, no shell syntax); quote it if it is part of a value`);
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** `word` as a shell reads it back: unchanged when it holds only safe characters, else in single quotes. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_\-+=:,./@%]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line for people (and shells) to read: every word quoted as needed. */
export function shellCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
