import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NaturalSecret, SecretOccurrence } from '../../src/data/secrets/types.js';
import type { RunConfig } from '../../src/pipeline/run-config.js';
import { trainRun } from '../../src/pipeline/train-run.js';
import { resolveStudyConfig } from '../../src/study/grid.js';
import { tinyCorpus } from './tiny-corpus.js';

/** The phone number one person writes in every tenth line of the corpus (its signature). */
export const SIGNATURE_PHONE = '(617) 555-1212';
/** A phone number written once. */
export const ONCE_PHONE = '(212) 734-9087';

/**
 * A small corpus of grammar sentences holding natural secrets, trained without DP in `dir`
 * (seeded; a few seconds): the signature phone 40 times after "call me at ", the other phone
 * once, a short IP-like number twice. Returns the run folder and the secrets as the scanner
 * would report them (hand-built; each line is its own document here).
 */
export async function trainNaturalRun(dir: string, epochs = 6): Promise<{ run: string; secrets: NaturalSecret[] }> {
  const lines = tinyCorpus(400).trim().split('\n');
  const occurrences: Record<string, SecretOccurrence[]> = { sig: [], once: [], ip: [] };
  const put = (at: number, before: string, secret: string, after: string, key: string): void => {
    lines.splice(at, 0, `${before}${secret}${after}`);
    occurrences[key]!.push({ document: `line${at}`, user: key === 'sig' ? 'alice@example.com' : `u${at}@example.com`, line: 0, column: before.length, context: before });
  };
  for (let i = 0; i < 40; i++) put(i * 10, 'call me at ', SIGNATURE_PHONE, ' any time.', 'sig');
  put(55, 'my old number was ', ONCE_PHONE, '.', 'once');
  put(77, 'the server is at ', '10.4.7', ' now.', 'ip');
  put(177, 'the server is at ', '10.4.7', ' now.', 'ip');
  const corpus = join(dir, 'mail.txt');
  writeFileSync(corpus, lines.join('\n') + '\n');
  const config: RunConfig = {
    ...resolveStudyConfig('quick').shared,
    corpus,
    corpusMaxChars: 40_000,
    hiddenSize: 48,
    embeddingDim: 16,
    seqLength: 32,
    batchSize: 16,
    epochs,
    canaryFormat: 'my pin is {digits:3}',
    insertions: [1],
    exposureEachEpoch: false,
    exposureReferences: 100,
    extractionMaxQueries: 5000,
    mode: 'scratch',
    mitigation: 'none',
    dropout: 0,
    weightDecay: 0,
    seed: 3,
  };
  const run = join(dir, 'run');
  const trained = await trainRun(config, run);
  trained.model.dispose();
  const phone = '({digits:3}) {digits:3}-{digits:4}';
  const secret = (kind: NaturalSecret['kind'], text: string, format: string, occ: SecretOccurrence[]): NaturalSecret => ({
    kind,
    text,
    format,
    spaceBits: 0,
    occurrences: occ,
    documents: occ.length,
    users: new Set(occ.map((o) => o.user)).size,
  });
  return {
    run,
    secrets: [
      secret('phone', SIGNATURE_PHONE, phone, occurrences.sig!),
      secret('phone', ONCE_PHONE, phone, occurrences.once!),
      secret('ipv4', '10.4.7', '{digits:2}.{digits:1}.{digits:1}', occurrences.ip!),
    ],
  };
}
