/** The study: grid of mitigations, runner (resume, workers), job files and merge, reports. */
export * from './types.js';
export { resolveStudyConfig, buildGrid, studyGrid, PRESET_NAMES, type GridAxes, type StudyConfig, type StudyOverrides } from './grid.js';
export { canaryFormatPattern, sanitizeLines, type SanitizeResult } from './sanitize.js';
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
export { renderMarkdown, comparisonTable, howToRead } from './markdown.js';
export { summaryRows, configLabelOf, type SummaryRow } from './summary.js';
export { stringifyStudyJson, validatePointResult, validateStudyPoint, readJsonFile } from './json.js';
