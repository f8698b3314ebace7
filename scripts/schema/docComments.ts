/**
 * Reads doc comments from the TypeScript sources, so the comments on zod schema fields
 * and on the public classes are the one place a field or resource is described.
 */
import * as fs from "node:fs";
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

function objectDocs(literal: ts.ObjectLiteralExpression, consts: Set<string>): ObjectDocs {
  const docs: ObjectDocs = { fields: {}, refs: {}, inline: {} };
  for (const prop of literal.properties) {
    if (!ts.isPropertyAssignment(prop)) continue;
    const name = prop.name.getText().replace(/^["']|["']$/g, "");
    docs.fields[name] = docOf(prop);
    const ref = referencedConst(prop.initializer, consts);
    if (ref) {
      docs.refs[name] = ref;
      continue;
    }
    const nested = findObjectLiteral(prop.initializer);
    if (nested) docs.inline[name] = objectDocs(nested, consts);
  }
  return docs;
}

/** Doc comments of every `const x = z...object({...})` in a file, by const name. */
export function schemaDocs(file: string): Record<string, ObjectDocs> {
  const source = parse(file);
  const literals = new Map<string, ts.ObjectLiteralExpression>();
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const decl of statement.declarationList.declarations) {
      const literal = decl.initializer && findObjectLiteral(decl.initializer);
      if (ts.isIdentifier(decl.name) && literal) literals.set(decl.name.text, literal);
    }
  }
  const names = new Set(literals.keys());
  return Object.fromEntries([...literals].map(([name, literal]) => [name, objectDocs(literal, names)]));
}

/** The doc comment of a class declared in a file. */
export function classDoc(file: string, className: string): string {
  const source = parse(file);
  const decl = source.statements.find((s) => ts.isClassDeclaration(s) && s.name?.text === className);
  if (!decl) throw new Error(`${file} declares no class ${className}`);
  return docOf(decl);
}
