import { dirname, join } from 'node:path';
import ts from 'typescript';

/**
 * The Kubernetes API's TypeScript types (kubernetes-models) as a strict schema: each object
 * becomes an object literal typed as its kind's interface, and the type checker reports what
 * the JSON schemas let through, above all a misspelled or misplaced key (an excess property
 * of an object literal), with its path. The file is virtual, placed in this workspace so that
 * `kubernetes-models` resolves from its node_modules.
 */
const TYPES: Record<string, { module: string; type: string }> = {
  'v1/Namespace': { module: 'kubernetes-models/v1', type: 'INamespace' },
  'v1/Service': { module: 'kubernetes-models/v1', type: 'IService' },
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1', type: 'IDeployment' },
  'batch/v1/Job': { module: 'kubernetes-models/batch/v1', type: 'IJob' },
};

/** Type errors per object (by index), from one type-checking pass over all of them. */
export function typeErrors(objects: readonly Record<string, unknown>[], dir: string): string[][] {
  const file = join(dir, '__k8s_manifests_check__.ts');
  const lines = objects.map((o, i) => {
    const key = `${String(o.apiVersion)}/${String(o.kind)}`;
    const t = TYPES[key];
    if (!t) throw new Error(`no TypeScript type for ${key}`);
    return `import type { ${t.type} as T${i} } from '${t.module}';\nexport const o${i}: T${i} = ${JSON.stringify(o, null, 2)};`;
  });
  const starts: number[] = [];
  let text = '';
  for (const line of lines) {
    starts.push(text.length);
    text += `${line}\n`;
  }
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const out: string[][] = objects.map(() => []);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    // Anything not placed in one object's literal (a missing module, say) counts for all.
    const at = d.file?.fileName === file && d.start !== undefined ? d.start : -1;
    const i = starts.findLastIndex((s) => s <= at);
    for (const [j, list] of out.entries()) if (i === -1 || i === j) list.push(message);
  }
  return out;
}

export const here = (url: string) => dirname(new URL(url).pathname);
