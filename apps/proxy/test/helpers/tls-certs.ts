import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ThrowawayCert {
  readonly name: string;
  readonly key: Buffer;
  readonly cert: Buffer;
  readonly certFile: string;
}

/**
 * A self-signed P-256 certificate for `cn` (and `dns` as subject alternative names), made now by
 * openssl in a temp dir and valid for a day: nothing that looks like a real key is committed.
 */
export function throwawayCert(cn: string, dns: string[] = [cn]): ThrowawayCert {
  const dir = mkdtempSync(join(tmpdir(), 'tcpb-cert-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      `subjectAltName=${dns.map((d) => `DNS:${d}`).join(',')}`,
    ],
    { stdio: 'ignore' },
  );
  return { name: cn, key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}
