/**
 * Developer tooling: tsc type-checks the tests and the bench (vitest alone runs them untyped),
 * ESLint runs on the tree with the project's conventions, Prettier is configured in the
 * project's style, and CI runs the linters after the tests.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith(suffix))
    .map((f) => join(dir, f));
}

describe('tooling', () => {
  it('the type-check config covers every test file and bench module', () => {
    const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.check.json'), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    });
    expect(parsed).toBeDefined();
    expect(parsed!.options.noEmit).toBe(true);
    expect(parsed!.options.strict).toBe(true);
    const checked = new Set(parsed!.fileNames.map((f) => relative(root, f)));
    for (const f of [...filesUnder('test', '.ts'), ...filesUnder('bench', '.ts')]) expect(checked.has(f), f).toBe(true);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['typecheck']).toContain('tsconfig.check.json');
    expect(pkg.scripts['lint']).toMatch(/npm run typecheck && eslint/);
    expect(pkg.scripts['format']).toMatch(/^prettier --write/);
  });

  it('ESLint (typescript-eslint) reports real findings and accepts the underscore convention', async () => {
    const eslint = new ESLint({ cwd: root });
    const [bad] = await eslint.lintText('let unused = 1;\nexport const f = (x: any) => x;\n', { filePath: join(root, 'src', 'lint-probe.ts') });
    const rules = bad!.messages.map((m) => m.ruleId);
    expect(rules).toContain('@typescript-eslint/no-unused-vars');
    expect(rules).toContain('@typescript-eslint/no-explicit-any');
    const [ok] = await eslint.lintText('export function g(_unused: number): number {\n  const { a: _a, ...rest } = { a: 1, b: 2 };\n  return rest.b;\n}\n', {
      filePath: join(root, 'src', 'lint-probe.ts'),
    });
    expect(ok!.messages).toEqual([]);
  });

  it("Prettier's config keeps the project's style (a file written in it is left as it is)", async () => {
    const file = join(root, 'src', 'util', 'errors.ts');
    const options = await prettier.resolveConfig(file);
    expect(options).toMatchObject({ singleQuote: true, semi: true, trailingComma: 'all', printWidth: 150 });
    const sample = "import { x } from './x.js';\n\nexport const y = { a: 'b', c: [1, 2, 3] };\nexport const f = (s: string): string => `${s}!`;\n";
    expect(await prettier.format(sample, { ...options, filepath: file })).toBe(sample);
  });

  it('CI runs npm ci, npm test, then npm run lint; formatting is not checked there', () => {
    const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');
    const at = (s: string): number => ci.indexOf(s);
    expect(at('npm ci')).toBeGreaterThan(-1);
    expect(at('npm test')).toBeGreaterThan(at('npm ci'));
    expect(at('npm run lint')).toBeGreaterThan(at('npm test'));
    expect(ci).not.toMatch(/prettier|npm run format/);
  });
});
