import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * The config file's JSON Schema, shipped in the package (`schema/`, in `files`) so editors can
 * complete the file, and the one source of truth for its shape: validated here with ajv.
 */
export const SCHEMA_URL = new URL('../schema/proxy-config.schema.json', import.meta.url);

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled === undefined) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object;
    compiled = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
  }
  return compiled;
}

/** `/listeners/1/port` → `listeners[1].port` (the form users see in the error). */
export function formatPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** One readable line per ajv error: `listeners[1].port: must be ≤ 65535`. */
function describe(e: ErrorObject): string {
  const at = formatPath(e.instancePath);
  const where = (extra?: string) => {
    const path = extra === undefined ? at : formatPath(`${e.instancePath}/${extra}`);
    return path === '' ? '(top level)' : path;
  };
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'maximum':
      return `${where()}: must be ≤ ${p.limit}`;
    case 'minimum':
      return `${where()}: must be ≥ ${p.limit}`;
    case 'required':
      return `${where(String(p.missingProperty))}: is required`;
    case 'additionalProperties':
      return `${where(String(p.additionalProperty))}: is not a known setting`;
    case 'enum':
      return `${where()}: must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type':
      return `${where()}: must be ${String(p.type).replace(',', ' or ')}`;
    case 'pattern':
      return at.endsWith('name')
        ? `${where()}: must be letters, digits, '_', '.', '-' (up to 64)`
        : `${where()}: must be a number of milliseconds or a number with a unit (500ms, 3s, 2m, 1h)`;
    case 'minItems':
      return `${where()}: needs at least ${p.limit} item${p.limit === 1 ? '' : 's'}`;
    case 'maxItems':
      return `${where()}: has more than ${p.limit} items`;
    default:
      return `${where()}: ${e.message ?? 'is invalid'}`;
  }
}

/**
 * Checks `doc` against the schema. Returns readable errors, most useful first (an unknown
 * setting or a missing one before the type errors they cause), empty when it conforms.
 */
export function schemaErrors(doc: unknown): string[] {
  const validate = validator();
  if (validate(doc)) return [];
  const errors = validate.errors ?? [];
  // A duration is integer-or-string: when it is neither, ajv reports the type once; when it is
  // a string, only the pattern matters. Drop the duplicates ajv makes for union types.
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const e of errors) {
    const line = describe(e);
    if (!seen.has(line)) {
      seen.add(line);
      lines.push(line);
    }
  }
  return lines;
}
