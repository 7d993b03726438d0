// The ```ts examples in the doc comments of what the package's entry points export, found with
// the TypeScript compiler API (each export followed to its declaration), for doc-examples.test.ts.
import ts from 'typescript';
import { relative } from 'node:path';

/** One exported name of an entry point and the doc comment of its declaration. */
export interface PublicDeclaration {
  readonly entry: string;
  readonly name: string;
  readonly kind: 'function' | 'class' | 'value' | 'type';
  /** file:line of the declaration, relative to the repository root. */
  readonly where: string;
  readonly examples: readonly DocExample[];
}

export interface DocExample {
  /** file:line of the block's first code line. */
  readonly where: string;
  readonly code: string;
}

const FENCE = /^```ts\s*$/;

/** The doc comment (`/** ... *\/`) right before a node, with its position, or null. */
function docComment(node: ts.Node, sf: ts.SourceFile): { text: string; pos: number } | null {
  const ranges = ts.getLeadingCommentRanges(sf.text, node.getFullStart()) ?? [];
  const last = ranges.at(-1);
  if (last === undefined || !sf.text.startsWith('/**', last.pos)) return null;
  return { text: sf.text.slice(last.pos, last.end), pos: last.pos };
}

/** The ```ts blocks of a doc comment, each with the line of its first code line. */
function examplesIn(comment: { text: string; pos: number }, sf: ts.SourceFile, file: string): DocExample[] {
  const firstLine = sf.getLineAndCharacterOfPosition(comment.pos).line + 1;
  const lines = comment.text.split('\n').map((l) => l.replace(/^\s*\/?\*+\/?\s?/, '').replace(/\s*\*\/\s*$/, ''));
  const out: DocExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE.test(lines[i]!)) continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (end < 0) throw new Error(`${file}:${firstLine + i}: unterminated \`\`\`ts block`);
    out.push({ where: `${file}:${firstLine + i + 1}`, code: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return out;
}

/** The node that carries a declaration's doc comment (a variable's statement, not the declarator). */
function commentedNode(decl: ts.Declaration): ts.Node {
  if (ts.isVariableDeclaration(decl)) return decl.parent.parent;
  return decl;
}

function kindOf(decl: ts.Declaration, checker: ts.TypeChecker, symbol: ts.Symbol): PublicDeclaration['kind'] {
  if (ts.isFunctionDeclaration(decl)) return 'function';
  if (ts.isClassDeclaration(decl)) return 'class';
  if (ts.isVariableDeclaration(decl)) {
    return checker.getTypeOfSymbol(symbol).getCallSignatures().length > 0 ? 'function' : 'value';
  }
  return 'type';
}

/** Every export of each entry file (absolute paths), with its declaration's examples. */
export function publicDeclarations(root: string, entries: readonly string[]): PublicDeclaration[] {
  const program = ts.createProgram([...entries], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const out: PublicDeclaration[] = [];
  for (const entry of entries) {
    const sf = program.getSourceFile(entry);
    const moduleSymbol = sf && checker.getSymbolAtLocation(sf);
    if (moduleSymbol === undefined) throw new Error(`${entry}: not a module`);
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const decl = symbol.declarations?.[0];
      if (decl === undefined) throw new Error(`${entry}: ${exported.name} has no declaration`);
      const declFile = decl.getSourceFile();
      const file = relative(root, declFile.fileName);
      // Overloads: the examples may sit on any signature's comment (each comment counted once).
      const seen = new Set<number>();
      const examples: DocExample[] = [];
      for (const d of symbol.declarations ?? []) {
        const c = docComment(commentedNode(d), declFile);
        if (c === null || seen.has(c.pos)) continue;
        seen.add(c.pos);
        examples.push(...examplesIn(c, declFile, file));
      }
      out.push({
        entry: relative(root, entry),
        name: exported.name,
        kind: kindOf(decl, checker, symbol),
        where: `${file}:${declFile.getLineAndCharacterOfPosition(decl.getStart()).line + 1}`,
        examples,
      });
    }
  }
  return out;
}
