import type { PointContext } from '../../src/study/runner.js';
import type { PointMeasurement, StudyPoint } from '../../src/study/types.js';
export declare function fakePoint(point: StudyPoint, ctx: PointContext): Promise<PointMeasurement>;
export declare function failingPoint(point: StudyPoint, ctx: PointContext): Promise<PointMeasurement>;
export declare function budgetPoint(point: StudyPoint, ctx: PointContext): Promise<PointMeasurement>;
