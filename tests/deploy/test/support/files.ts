import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { type Dockerfile, parseDockerfile } from './dockerfile.js';

/** The repository root (this file is tests/deploy/test/support/files.ts). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

export function readText(relPath: string): string {
  return readFileSync(join(ROOT, relPath), 'utf8');
}

export function loadDockerfile(): Dockerfile {
  return parseDockerfile(readText('Dockerfile'));
}

/** One YAML document; a syntax error or a duplicate key throws (yaml's strict default). */
export function loadYaml(relPath: string): unknown {
  return parseYaml(readText(relPath), { uniqueKeys: true, prettyErrors: true });
}

/** Every document of a multi-document YAML file; any document's error throws. */
export function loadYamlDocuments(relPath: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(readText(relPath), {
    uniqueKeys: true,
    prettyErrors: true,
  })) {
    if (doc.errors.length > 0) throw new Error(`${relPath}: ${doc.errors[0]?.message}`);
    out.push(doc.toJS());
  }
  return out;
}

/** A narrowing helper: `obj` as a plain record, or a thrown error naming `what`. */
export function rec(obj: unknown, what: string): Record<string, unknown> {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new Error(`${what}: expected a mapping, got ${JSON.stringify(obj)}`);
  }
  return obj as Record<string, unknown>;
}

export function list(obj: unknown, what: string): unknown[] {
  if (!Array.isArray(obj)) throw new Error(`${what}: expected a list, got ${JSON.stringify(obj)}`);
  return obj;
}

export function strings(obj: unknown, what: string): string[] {
  return list(obj, what).map((x) => {
    if (typeof x !== 'string')
      throw new Error(`${what}: expected strings only, got ${JSON.stringify(x)}`);
    return x;
  });
}
