/**
 * `npm run bench -- exposure.transformer`: exact exposure over |R| = 10^6 (the exposure bench's
 * format, prefix and digit ids) with the transformer of issue 21 (2 layers, width 128, 4 heads,
 * FFN 512, vocabulary 64, maxLength 64) against the exposure bench's LSTM 128, untrained
 * (seeded), in the same process, timed interleaved (one warm-up each, then LSTM, transformer,
 * transformer, LSTM, ...; medians). Target: transformer <= 3x the LSTM. Also a 20,000-query
 * extraction search with each (rows/s). Both walk the same tree: 111,110 rows advanced.
 * BENCH_REPS (default 2) sets the number of timed rounds.
 */
import { initBackend } from '../src/dpsgd/backend.js';
import { LanguageModel, type LanguageModelConfig } from '../src/dpsgd/model.js';
import { languageModelScorer } from '../src/dpsgd/scorer.js';
import { enumerateLogPerplexities } from '../src/canary/exact.js';
import { extractSecrets } from '../src/canary/extract.js';
import { closeSecretModel, openSecretModel, type SecretModel } from '../src/canary/secret-model.js';
import { seededRandom } from '../src/util/random.js';
import { CONFIG as LSTM_CONFIG, DIGIT_IDS, FORMAT, PREFIX } from './exposure.bench.js';
import { median, timeInterleaved } from './timing.js';

export const name = 'exposure.transformer';

const TRANSFORMER_CONFIG: LanguageModelConfig = {
  vocabSize: 64,
  embeddingDim: 128,
  hiddenSize: 128,
  layers: 2,
  cell: 'transformer',
  heads: 4,
  ffnSize: 512,
  maxLength: 64,
  dropout: 0,
};
const REPS = Number(process.env['BENCH_REPS'] ?? 2);

export async function run(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  const lstm = LanguageModel.create(LSTM_CONFIG, seededRandom('bench-exposure-model'));
  const transformer = LanguageModel.create(TRANSFORMER_CONFIG, seededRandom('bench-exposure-transformer'));
  const models: Record<'lstm' | 'transformer', SecretModel> = {
    lstm: await openSecretModel(languageModelScorer(lstm), PREFIX, DIGIT_IDS, FORMAT.length),
    transformer: await openSecretModel(languageModelScorer(transformer), PREFIX, DIGIT_IDS, FORMAT.length),
  };
  try {
    console.log(
      `backend ${backend.name}; LSTM: embedding 32, LSTM 128; transformer: 2 layers, width 128, 4 heads, FFN 512, maxLength 64; ` +
        `vocabulary 64, untrained (seeded); |R| = 10^6 after a ${PREFIX.length}-token prefix`,
    );
    const rowsBefore = models.transformer.rowsAdvanced;
    const times = await timeInterleaved(
      { lstm: () => enumerateLogPerplexities(models.lstm), transformer: () => enumerateLogPerplexities(models.transformer) },
      REPS,
    );
    const rows = (models.transformer.rowsAdvanced - rowsBefore) / (REPS + 1);
    const lstmS = median(times.lstm) / 1000;
    const transformerS = median(times.transformer) / 1000;
    const ratio = transformerS / lstmS;
    console.log(
      `exact exposure, |R| = 10^6 (${rows} rows advanced): LSTM 128 ${lstmS.toFixed(2)} s, transformer ${transformerS.toFixed(2)} s ` +
        `(${Math.round(rows / transformerS)} rows/s): ${ratio.toFixed(2)}x the LSTM (target <= 3x); ` +
        `runs (ms) LSTM ${times.lstm.map((t) => t.toFixed(0)).join(', ')}, transformer ${times.transformer.map((t) => t.toFixed(0)).join(', ')}`,
    );
    const extraction: Record<string, number> = {};
    for (const kind of ['lstm', 'transformer'] as const) {
      const t0 = performance.now();
      const ext = await extractSecrets(models[kind], FORMAT, { maxQueries: 20_000, batchNodes: 256 });
      extraction[kind] = ext.queries / ((performance.now() - t0) / 1000);
    }
    console.log(
      `extraction, 20,000 queries: LSTM ${Math.round(extraction['lstm']!)} rows/s, transformer ${Math.round(extraction['transformer']!)} rows/s ` +
        `(${(extraction['lstm']! / extraction['transformer']!).toFixed(2)}x slower)`,
    );
    return {
      backend: backend.name,
      rowsAdvanced: rows,
      lstmSeconds: lstmS,
      transformerSeconds: transformerS,
      ratio,
      transformerRowsPerSecond: rows / transformerS,
      extractionRowsPerSecond: extraction,
    };
  } finally {
    closeSecretModel(models.lstm);
    closeSecretModel(models.transformer);
    lstm.dispose();
    transformer.dispose();
  }
}
