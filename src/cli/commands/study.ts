import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { ACCOUNTANT_NAMES, isAccountantName } from '../../accountant/accountant.js';
import { initBackend, parseBackendName } from '../../dpsgd/backend.js';
import { PRESET_NAMES, resolveStudyConfig, buildGrid, publicPointFor, type StudyOverrides } from '../../study/grid.js';
import { runStudy, type RunPoint, type WorkerPointFunction } from '../../study/runner.js';
import { writeJobFiles, readJobFile } from '../../study/jobs.js';
import { writeReports } from '../../study/reports.js';
import { renderMarkdown } from '../../study/markdown.js';
import { MITIGATIONS, isMitigation, type PresetName, type StudyMode, type StudyReport } from '../../study/types.js';
import { runStudyPoint } from '../../study/run-point.js';
import { CompletedWithFailures, InvalidArgumentError } from '../../util/errors.js';
import { prepareRunData } from '../../pipeline/run-data.js';
import { resolveUnits } from '../../pipeline/units.js';
import { checkPrivacyUnit } from '../../data/units.js';
import { unitSettingsFromFlags } from '../unit-flags.js';
import { parseCell, resolveModelShape, type ModelShape } from '../../pipeline/model-shape.js';
import type { CliIO } from '../io.js';
import { guardStudyFolder } from '../out-folder.js';
import { checkSlurmAvailable, mergeForCli, parseExecutor, printStudyStatus, runSlurmStudy, EXECUTORS } from '../study-slurm.js';
import { gridPath } from '../../study/jobs.js';
import { pointResultPath } from '../../study/runner.js';
import { parseInteger, parseNumberList, toJson } from '../parse.js';

interface StudyFlags {
  preset?: string;
  quick?: boolean;
  out: string;
  corpus?: string;
  maxChars?: string;
  epochs?: string;
  epsilons?: string;
  seeds?: string;
  mitigations?: string;
  mode?: string;
  publicCorpus?: string;
  publicMaxChars?: string;
  auditCanaries?: string;
  auditRepeats?: string;
  accountant?: string;
  insertions?: string;
  canaryFormat?: string;
  concurrency?: string;
  writeJobs?: string;
  job?: string;
  merge?: boolean;
  backend?: string;
  overwrite?: boolean;
  privacyUnit?: string;
  dataUnit?: string;
  unitWindows?: string;
  userMap?: string;
  userPattern?: string;
  json?: boolean;
  // Slurm (issue 20)
  executor?: string;
  slurmArgs?: string;
  dryRun?: boolean;
  status?: string;
  threads?: string;
  // Model shape (issue 21)
  cell?: string;
  layers?: string;
  hiddenSize?: string;
  heads?: string;
  ffnSize?: string;
}

function presetOf(f: StudyFlags): PresetName {
  // --quick is the small version of a preset: of the default one (quick) or of the e-mail one (email-quick).
  if (f.quick && f.preset !== undefined && !['quick', 'email', 'email-quick'].includes(f.preset)) throw new InvalidArgumentError(`--quick has no small version of --preset ${f.preset}`);
  const p = f.quick ? (f.preset === 'email' || f.preset === 'email-quick' ? 'email-quick' : 'quick') : (f.preset ?? 'default');
  if (!(PRESET_NAMES as readonly string[]).includes(p)) throw new InvalidArgumentError(`--preset must be one of ${PRESET_NAMES.join(', ')}; got '${p}'`);
  return p as PresetName;
}

function overridesOf(f: StudyFlags): StudyOverrides {
  const o: StudyOverrides = {};
  if (f.corpus !== undefined) o.corpus = f.corpus;
  if (f.maxChars !== undefined) o.corpusMaxChars = parseInteger('--max-chars', f.maxChars, { min: 1 });
  if (f.epochs !== undefined) {
    // Every training recipe of the points (the public model keeps its own).
    const epochs = parseInteger('--epochs', f.epochs, { min: 1 });
    const base = resolveStudyConfig(presetOf(f)).shared;
    o.epochs = epochs;
    o.dpRecipe = { ...base.dpRecipe, epochs };
    o.fineTuneRecipe = { ...base.fineTuneRecipe, epochs };
    o.fineTuneDpRecipe = { ...base.fineTuneDpRecipe, epochs };
  }
  if (f.mode !== undefined) {
    const modes: Record<string, StudyMode[]> = { scratch: ['scratch'], 'fine-tune': ['fine-tune'], both: ['fine-tune', 'scratch'] };
    const m = modes[f.mode];
    if (!m) throw new InvalidArgumentError(`--mode must be scratch, fine-tune or both; got '${f.mode}'`);
    o.modes = m;
  }
  if (f.publicCorpus !== undefined) o.publicCorpus = f.publicCorpus;
  if (f.accountant !== undefined) {
    if (!isAccountantName(f.accountant)) throw new InvalidArgumentError(`--accountant must be ${ACCOUNTANT_NAMES.join(' or ')}, got '${f.accountant}'`);
    o.accountant = f.accountant;
  }
  if (f.auditCanaries !== undefined) o.auditCanaries = parseInteger('--audit-canaries', f.auditCanaries, { min: 1 });
  if (f.auditRepeats !== undefined) {
    if (f.auditCanaries === undefined) throw new InvalidArgumentError('--audit-repeats needs --audit-canaries M');
    o.auditRepeats = parseInteger('--audit-repeats', f.auditRepeats, { min: 1 });
  }
  if (f.publicMaxChars !== undefined) o.publicCorpusChars = parseInteger('--public-max-chars', f.publicMaxChars, { min: 1 });
  if (f.epsilons !== undefined) o.dpEpsilons = parseNumberList('--epsilons', f.epsilons);
  if (f.seeds !== undefined) o.seeds = parseNumberList('--seeds', f.seeds);
  if (f.insertions !== undefined) o.insertions = parseNumberList('--insertions', f.insertions);
  if (f.canaryFormat !== undefined) o.canaryFormat = f.canaryFormat;
  if (f.mitigations !== undefined) {
    const ms = f.mitigations.split(',').map((s) => s.trim());
    const bad = ms.find((m) => !isMitigation(m));
    if (bad !== undefined) throw new InvalidArgumentError(`--mitigations: unknown mitigation '${bad}' (use ${MITIGATIONS.join(', ')})`);
    o.mitigations = ms.filter(isMitigation);
  }
  if (f.privacyUnit !== undefined) o.privacyUnits = f.privacyUnit.split(',').map((u) => checkPrivacyUnit(u.trim(), '--privacy-unit'));
  if (f.unitWindows !== undefined) {
    if (!o.privacyUnits?.some((u) => u !== 'window')) throw new InvalidArgumentError('--unit-windows applies to --privacy-unit document or user');
    o.unitWindows = parseInteger('--unit-windows', f.unitWindows, { min: 1 });
  }
  Object.assign(o, modelShapeOverrides(f));
  // The other unit flags mean what they mean for `train` (run settings every point shares).
  return { ...o, ...unitSettingsFromFlags({ dataUnit: f.dataUnit, userMap: f.userMap, userPattern: f.userPattern }) };
}

/** The model shape every point uses when --cell, --layers, --hidden-size, --heads or --ffn-size is given (transformer defaults as for `train`). */
function modelShapeOverrides(f: StudyFlags): StudyOverrides {
  const given: Partial<ModelShape> = {};
  if (f.cell !== undefined) given.cell = parseCell(f.cell);
  if (f.layers !== undefined) given.layers = parseInteger('--layers', f.layers, { min: 1 });
  if (f.hiddenSize !== undefined) given.hiddenSize = parseInteger('--hidden-size', f.hiddenSize, { min: 1 });
  if (f.heads !== undefined) given.heads = parseInteger('--heads', f.heads, { min: 1 });
  if (f.ffnSize !== undefined) given.ffnSize = parseInteger('--ffn-size', f.ffnSize, { min: 1 });
  if (Object.keys(given).length === 0) return {};
  return resolveModelShape(resolveStudyConfig(presetOf(f)).shared, given);
}

/** The point function for worker threads: the compiled module, when running from dist/. */
function workerPointFunction(): WorkerPointFunction | null {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.js')) return null; // running from TypeScript sources (tests): in-process only
  const module = join(here, '..', '..', '..', 'study', 'run-point.js');
  return existsSync(module) ? { module, exportName: 'runStudyPoint' } : null;
}

function summary(report: StudyReport, files: { json: string; markdown: string; html: string }, io: CliIO, json: boolean): void {
  if (json) {
    io.out(toJson({ report: files, points: report.points.length, failed: report.points.filter((p) => p.status === 'failed').map((p) => p.id) }) + '\n');
    return;
  }
  io.out(renderMarkdown(report));
  io.out(`\nreports: ${files.markdown}\n         ${files.html}\n         ${files.json}\n`);
}

export function register(program: Command, io: CliIO): void {
  program
    .command('study')
    .description(
      'Train a grid of models on the same data and canaries (no mitigation, DP-SGD at several target epsilons, ' +
        'dropout, weight decay, sanitisation), fine-tuned from a public model and/or from scratch (--mode), and compare ' +
        'privacy (epsilon, nats), utility (validation loss) and ' +
        'memorization (exposure in bits, extraction). Writes report.json, report.md and report.html. A killed study ' +
        'resumes, reusing finished points.',
    )
    .option('--preset <name>', `grid size: ${PRESET_NAMES.join(', ')} (default: default, about 13.5 minutes on 2 cores; paper: days on 2 cores, meant for --write-jobs on many machines)`)
    .option('--quick', 'the same study at a small scale (about 1.3 minutes); same as --preset quick')
    .option('--out <dir>', 'study folder (results, runs, reports)', 'study-out')
    .option('--corpus <path>', "'brown' (embedded Brown Corpus) or a .txt file or folder of .txt files")
    .option('--max-chars <n>', 'characters of corpus text to use')
    .option('--epochs <n>', 'training epochs of every point, in every recipe (not of the public model)')
    .option('--epsilons <list>', 'target epsilons of the DP-SGD points, e.g. 1,3,8')
    .option('--seeds <list>', 'training seeds; every configuration runs once per seed')
    .option('--mitigations <list>', `subset of ${MITIGATIONS.join(',')}`)
    .option(
      '--mode <mode>',
      'scratch (train every point from random weights on the private text), fine-tune (pretrain one public model without DP on ' +
        'public text, then fine-tune it on the private text at every point) or both (the default preset runs both, with fewer scratch points)',
    )
    .option('--public-corpus <path>', "fine-tune mode: public text for the public model: 'brown' (the Brown documents the private part does not use) or a .txt file or folder")
    .option('--public-max-chars <n>', 'fine-tune mode: characters of public text')
    .option('--accountant <name>', 'rdp or pld: the accountant that calibrates the DP points to their target epsilon (default rdp; the report shows both figures)')
    .option('--audit-canaries <m>', 'one-run privacy audit: m audit canaries per point, each in the training data with probability 1/2; the report adds an empirical lower bound on epsilon')
    .option('--audit-repeats <k>', 'training windows per included audit canary (the bound is converted to one window by group privacy; 4 gives power at this scale)')
    .option(
      '--privacy-unit <list>',
      'privacy units of the DP points, e.g. window,user: one DP point per unit at every epsilon, epsilon reported per unit. document or user ' +
        'groups the data of every point by that unit (windows per unit, split by document, each canary\'s copies in one unit); the DP ' +
        'recipes\' batch size then counts units per step for the unit points (default: window)',
    )
    .option('--unit-windows <m>', 'most windows of a sampled unit in one step of a unit-level DP point (default 4)')
    .option('--data-unit <unit>', 'group the data of every point by document or user without a unit-level DP point (default: the larger --privacy-unit)')
    .option('--user-map <file>', 'each document\'s user: a JSON object {"document-id": "user"} or TSV lines document-id<TAB>user')
    .option('--user-pattern <regex>', 'each document\'s user: the first capture group of this regular expression on the document id')
    .option('--cell <cell>', 'the model of every point: lstm, gru or transformer (default: the preset\'s)')
    .option('--layers <n>', 'recurrent layers or transformer blocks of every point (transformer default 2)')
    .option('--hidden-size <n>', 'recurrent size or transformer width of every point (default: the preset\'s)')
    .option('--heads <n>', 'transformer: attention heads (default 4)')
    .option('--ffn-size <n>', 'transformer: MLP hidden width (default 4 x --hidden-size)')
    .option('--insertions <list>', 'canary insertion counts, e.g. 1,4,16,64')
    .option('--canary-format <format>', "e.g. 'the random number is {digits:6}'")
    .option('--concurrency <n>', 'points trained at once in worker threads (default: number of cores)')
    .option('--write-jobs <dir>', 'write one job file per grid point to <dir> and stop (for a batch scheduler)')
    .option('--job <file>', 'run the single point of a job file into --out')
    .option('--merge', 'merge the point results of the folders given as arguments and write reports to --out')
    .option('--backend <name>', 'tfjs backend: tensorflow, wasm or cpu (default: fastest available)')
    .option('--overwrite', 'replace a different study already in --out (its points whose settings changed are deleted)')
    .option('--json', 'print a JSON summary instead of the table')
    // Slurm (issue 20): docs/slurm.md.
    .option('--executor <name>', `where the points run: ${EXECUTORS.join(' or ')} (slurm: submits the points as sbatch job arrays, one task each, fine-tune points after the public model's job, then a merge job that writes the reports; needs sbatch and squeue on PATH, and --out and dp-canary on a filesystem the nodes share; see docs/slurm.md)`)
    .option('--slurm-args <args>', "with --executor slurm: sbatch options for every job, e.g. '--partition=cpu --account=proj --time=2:00:00 --mem=8G' (plain options; array, dependency, cpus-per-task and output are set by dp-canary)")
    .option('--dry-run', 'with --executor slurm: print the job scripts, the sbatch command lines and an ESTIMATE of each point\'s wall time (measured here on one thread), and submit nothing')
    .option('--status <dir>', "each point's state in a study folder: done, failed, running, pending, not submitted (from the folder and, where Slurm answers, squeue/sacct)")
    .option('--threads <n>', 'the most threads one point trains on, >= 1 (local default: its share of the cores; slurm default 1, also each task\'s --cpus-per-task)')
    .argument('[results...]', 'with --merge: study folders or result files to join')
    .action(async (results: string[], f: StudyFlags) => {
      const out = resolve(f.out);
      // Slurm (issue 20): --status, and the executor's flags checked before any work.
      if (f.status !== undefined) {
        if (f.merge || f.job !== undefined || f.writeJobs !== undefined || f.dryRun) throw new InvalidArgumentError('--status only reads a study folder: give it alone (with --json if wanted)');
        printStudyStatus(resolve(f.status), f.json ?? false, io);
        return;
      }
      const executor = parseExecutor(f.executor);
      if (executor === 'slurm' && (f.merge || f.job !== undefined || f.writeJobs !== undefined)) throw new InvalidArgumentError('--executor slurm submits a whole study: not with --merge, --job or --write-jobs');
      if (executor !== 'slurm' && (f.dryRun || f.slurmArgs !== undefined)) throw new InvalidArgumentError(`${f.dryRun ? '--dry-run' : '--slurm-args'} goes with --executor slurm`);
      if (executor === 'slurm' && !f.dryRun) checkSlurmAvailable();
      const threads = f.threads !== undefined ? parseInteger('--threads', f.threads, { min: 1 }) : undefined;
      if (f.merge) {
        if (results.length === 0) throw new InvalidArgumentError('--merge needs at least one study folder or result file');
        const report = mergeForCli(results.map((r) => resolve(r)));
        summary(report, await writeReports(report, out), io, f.json ?? false);
        return;
      }
      if (results.length > 0) throw new InvalidArgumentError(`unexpected argument '${results[0]}' (study folders are only taken with --merge)`);
      const backend = f.backend !== undefined ? parseBackendName(f.backend, '--backend') : undefined;
      if (backend) process.env['DP_CANARY_BACKEND'] = backend; // workers choose their backend from it too
      const info = await initBackend(backend);
      let preset: PresetName | undefined;
      let points;
      if (f.job !== undefined) {
        const job = readJobFile(resolve(f.job));
        // A fine-tune job needs the study's public model: rebuilt (seeded, so identical) in the same --out.
        points = job.initFromPoint !== undefined ? [publicPointFor(job), job] : [job];
      } else {
        preset = presetOf(f);
        points = buildGrid(resolveStudyConfig(preset, overridesOf(f)));
      }
      if (f.writeJobs !== undefined) {
        const files = writeJobFiles(points, resolve(f.writeJobs));
        io.out(`wrote ${files.length} job files to ${resolve(f.writeJobs)}; run each with 'dp-canary study --job FILE --out DIR', then 'dp-canary study --merge DIR...'\n`);
        return;
      }
      // A dry run deletes nothing, so with --overwrite it skips the check.
      if (f.job === undefined && !(f.dryRun && f.overwrite)) guardStudyFolder(out, points, f.dryRun ? false : (f.overwrite ?? false));
      // A mistake shared by every point (corpus path, canary format) is one clear error now,
      // not one failed point per grid entry later.
      for (const p of points) resolveUnits(p);
      for (const p of [points.find((x) => x.mode === 'public'), points.find((x) => x.mode !== 'public')]) {
        if (!p) continue;
        const { id: _first, ...config } = p;
        void _first;
        prepareRunData(config);
      }
      if (executor === 'slurm') {
        const write = async (report: StudyReport): Promise<void> => summary(report, await writeReports(report, out), io, f.json ?? false);
        await runSlurmStudy({ out, points, ...(preset ? { preset } : {}), threads: threads ?? 1, ...(backend ? { backend } : {}), ...(f.slurmArgs !== undefined ? { slurmArgs: f.slurmArgs } : {}), dryRun: f.dryRun ?? false, json: f.json ?? false, writeReports: write }, io);
        return;
      }
      const requested = f.concurrency !== undefined ? parseInteger('--concurrency', f.concurrency, { min: 1 }) : availableParallelism();
      const workerFn = workerPointFunction();
      const concurrency = workerFn ? Math.min(requested, points.length) : 1;
      const runner: RunPoint | WorkerPointFunction = workerFn && concurrency > 1 ? workerFn : runStudyPoint;
      io.err(
        `dp-canary study: ${points.length} point(s)${preset ? ` (preset ${preset})` : ''} into ${out}; backend ${info.name} ` +
          `(${info.reason}); ${concurrency} at a time, sharing ${availableParallelism()} core(s): a point alone on free cores trains data-parallel; ` +
          'seeded randomness (reproducible experiments)\n',
      );
      const t0 = performance.now();
      const report = await runStudy(points, runner, {
        outDir: out,
        concurrency,
        ...(preset ? { preset } : {}),
        writeGrid: f.job === undefined,
        ...(threads !== undefined ? { threadsPerPoint: threads } : {}),
        onProgress: (e) => {
          const tag = `[${e.index + 1}/${e.total}] ${e.id}`;
          const mins = ((performance.now() - t0) / 60000).toFixed(1);
          if (e.kind === 'skipped') io.err(`${tag}: already done, reused\n`);
          else if (e.kind === 'started') io.err(`${tag}: started (${mins} min)\n`);
          else if (e.kind === 'progress') io.err(`${tag}: ${e.message}\n`);
          else if (e.kind === 'finished') io.err(`${tag}: finished (${mins} min)\n`);
          else io.err(`${tag}: FAILED: ${e.message}\n`);
        },
      });
      if (f.job !== undefined && existsSync(gridPath(out))) {
        // A job run inside a study folder (a Slurm task) leaves the study's reports to its merge job.
        const r = report.points.at(-1)!;
        io.out(f.json ? toJson({ point: r.id, status: r.status, result: pointResultPath(out, r.id) }) + '\n' : `point ${r.id}: ${r.status}; result in ${pointResultPath(out, r.id)}\n`);
      } else {
        summary(report, await writeReports(report, out), io, f.json ?? false);
      }
      const failed = report.points.filter((p) => p.status === 'failed');
      if (failed.length > 0) {
        io.err(`dp-canary study: ${failed.length} point(s) failed (${failed.map((p) => p.id).join(', ')}); see the report, rerun to retry them\n`);
        throw new CompletedWithFailures('study points failed');
      }
    });
}
