/**
 * Reads doc comments from the TypeScript sources, so the comments on zod schema fields
 * and on the public classes are the one place a field or resource is described.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

/** The doc comments of one `z.object({...})`: per field, and nested objects by field. */
export interface ObjectDocs {
  fields: Record<string, string>;
  /** For fields whose schema is another `const` of the file: that const's name. */
  refs: Record<string, string>;
  /** Docs of nested objects written inline (`z.array(z.object({...}))`), by field. */
  inline: Record<string, ObjectDocs>;
}

function docOf(node: ts.Node): string {
  return (
    ts
      .getJSDocCommentsAndTags(node)
      .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? "")
      .join("\n")
      .trim()
      // One line per paragraph: comments wrap at the code's width, descriptions should not.
      .replace(/([^\n])\n(?!\n)/g, "$1 ")
  );
}

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
}

/** The first `z.object({...})` literal inside an expression (through `.strict()`, `.array`, ...). */
function findObjectLiteral(node: ts.Node): ts.ObjectLiteralExpression | undefined {
  if (
    ts.isCallExpression(node) &&
    ts.isPropertyAccessExpression(node.expression) &&
    node.expression.name.text === "object" &&
    node.arguments[0] &&
    ts.isObjectLiteralExpression(node.arguments[0])
  ) {
    return node.arguments[0];
  }
  return ts.forEachChild(node, findObjectLiteral);
}

/** The first schema `const` a field's expression uses (`z.array(connectionSchema).optional()`). */
function referencedConst(node: ts.Node, consts: Set<string>): string | undefined {
  if (ts.isIdentifier(node) && consts.has(node.text)) return node.text;
  return ts.forEachChild(node, (child) => referencedConst(child, consts));
}

/** A source file's top-level `const`s and the names it imports from files of the repo. */
interface SourceModule {
  file: string;
  /** `const` name -> initializer. */
  consts: Map<string, ts.Expression>;
  /** Local name -> the file and the name it is exported under there. */
  imports: Map<string, { file: string; name: string }>;
  /** The consts holding a `z.object({...})`: what a field's `refs` may name. */
  schemaConsts: Map<string, ts.ObjectLiteralExpression>;
}

/** A relative import's `.ts` file (`./x` -> `./x.ts` or `./x/index.ts`); none for a package. */
function importedFile(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  return [`${base}.ts`, path.join(base, "index.ts")].find((f) => fs.existsSync(f));
}

function readModule(file: string): SourceModule {
  const source = parse(file);
  const mod: SourceModule = { file, consts: new Map(), imports: new Map(), schemaConsts: new Map() };
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const decl of statement.declarationList.declarations) {
        if (!ts.isIdentifier(decl.name) || !decl.initializer) continue;
        mod.consts.set(decl.name.text, decl.initializer);
        const literal = findObjectLiteral(decl.initializer);
        if (literal) mod.schemaConsts.set(decl.name.text, literal);
      }
    } else if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
      const bindings = statement.importClause?.namedBindings;
      const target = importedFile(file, statement.moduleSpecifier.text);
      if (!target || !bindings || !ts.isNamedImports(bindings)) continue;
      for (const element of bindings.elements) {
        mod.imports.set(element.name.text, {
          file: target,
          name: (element.propertyName ?? element.name).text,
        });
      }
    }
  }
  return mod;
}

/** What doc comments are read from: modules by file, and the files spreads led to. */
class DocReader {
  private readonly modules = new Map<string, SourceModule>();
  /** Files whose fields a spread brought in: their schema consts are documented too. */
  readonly reached = new Set<string>();

  module(file: string): SourceModule {
    let mod = this.modules.get(file);
    if (!mod) this.modules.set(file, (mod = readModule(file)));
    return mod;
  }

  objectDocs(literal: ts.ObjectLiteralExpression, mod: SourceModule): ObjectDocs {
    const docs: ObjectDocs = { fields: {}, refs: {}, inline: {} };
    const consts = new Set(mod.schemaConsts.keys());
    for (const prop of literal.properties) {
      if (ts.isSpreadAssignment(prop)) {
        // `...commandFields`, `...base.shape`: the spread object's fields, documented where they are written.
        const spread = this.spreadObject(prop.expression, mod);
        const spreadDocs = this.objectDocs(spread.literal, spread.mod);
        Object.assign(docs.fields, spreadDocs.fields);
        Object.assign(docs.refs, spreadDocs.refs);
        Object.assign(docs.inline, spreadDocs.inline);
        continue;
      }
      if (!ts.isPropertyAssignment(prop)) continue;
      const name = prop.name.getText().replace(/^["']|["']$/g, "");
      docs.fields[name] = docOf(prop);
      const ref = referencedConst(prop.initializer, consts);
      if (ref) {
        docs.refs[name] = ref;
        continue;
      }
      const nested = findObjectLiteral(prop.initializer);
      if (nested) docs.inline[name] = this.objectDocs(nested, mod);
    }
    return docs;
  }

  /** The object literal a spread names: a `const` of the file or one it imports (also `x.shape`). */
  private spreadObject(
    expression: ts.Expression,
    mod: SourceModule,
  ): { literal: ts.ObjectLiteralExpression; mod: SourceModule } {
    const shape = ts.isPropertyAccessExpression(expression) && expression.name.text === "shape";
    const target = shape ? expression.expression : expression;
    const found = ts.isIdentifier(target) ? this.constNamed(target.text, mod) : undefined;
    const literal = found && (shape ? findObjectLiteral(found.init) : plainObjectLiteral(found.init));
    if (!found || !literal) {
      throw new Error(
        `${mod.file}: cannot read the doc comments of the fields of ...${expression.getText()}: ` +
          "spread a const object literal (or a z.object's .shape) of this file or one it imports",
      );
    }
    if (found.mod !== mod) this.reached.add(found.mod.file);
    return { literal, mod: found.mod };
  }

  private constNamed(
    name: string,
    mod: SourceModule,
  ): { init: ts.Expression; mod: SourceModule } | undefined {
    const init = mod.consts.get(name);
    if (init) return { init, mod };
    const imported = mod.imports.get(name);
    return imported && this.constNamed(imported.name, this.module(imported.file));
  }
}

/** An object literal, through parentheses, `as const` and `satisfies`. */
function plainObjectLiteral(node: ts.Expression): ts.ObjectLiteralExpression | undefined {
  if (ts.isObjectLiteralExpression(node)) return node;
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node))
    return plainObjectLiteral(node.expression);
  return undefined;
}

/**
 * Doc comments of every `const x = z...object({...})` in a file, by const name. Fields spread in
 * (`...commandFields`) carry the comments written where they are declared, in this file or in
 * one it imports; the schema consts of those files are included too (after this file's own).
 */
export function schemaDocs(file: string): Record<string, ObjectDocs> {
  const reader = new DocReader();
  const docsOf = (mod: SourceModule) =>
    Object.fromEntries(
      [...mod.schemaConsts].map(([name, literal]) => [name, reader.objectDocs(literal, mod)]),
    );
  const own = docsOf(reader.module(file));
  const reached = [...reader.reached].filter((f) => f !== file).map((f) => docsOf(reader.module(f)));
  return Object.assign({}, ...reached, own) as Record<string, ObjectDocs>;
}

/** The doc comment of a class declared in a file. */
export function classDoc(file: string, className: string): string {
  const source = parse(file);
  const decl = source.statements.find((s) => ts.isClassDeclaration(s) && s.name?.text === className);
  if (!decl) throw new Error(`${file} declares no class ${className}`);
  return docOf(decl);
}
