/** The study: grid of mitigations, runner (resume, workers), job files and merge, reports. */
export * from './types.js';
export {
  resolveStudyConfig,
  buildGrid,
  studyGrid,
  publicPoint,
  publicPointFor,
  recipeOf,
  PRESET_NAMES,
  PUBLIC_POINT_ID,
  type GridAxes,
  type StudyConfig,
  type StudyOverrides,
} from './grid.js';
export {
  runStudy,
  pointResultPath,
  loadSavedResult,
  type RunPoint,
  type PointContext,
  type WorkerPointFunction,
  type RunStudyOptions,
  type StudyProgress,
} from './runner.js';
export { writeJobFiles, readJobFile, mergeResults, comparePoints, writeStudyGrid, readStudyGrid, gridPath, type StudyJob } from './jobs.js';
export { writeReports, type ReportFiles } from './reports.js';
export { renderMarkdown, comparisonTable, epochTable, seedTable, howToRead } from './markdown.js';
export { summaryRows, configLabelOf, recipeLabel, seedSpread, isTopSecret, type SummaryRow, type SeedSpreadRow } from './summary.js';
export { stringifyStudyJson, validatePointResult, validateStudyPoint, readJsonFile } from './json.js';
