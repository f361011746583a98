import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, realpath, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, errorCode, errorMessage } from './errors.js';

/** Directory levels --output may create: a guard against a runaway path, not a feature. */
const MAX_CREATED_LEVELS = 32;

/** --input: an existing directory; its real path. ConfigError otherwise. */
export async function preflightInput(dir: string): Promise<string> {
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new ConfigError(`--input ${dir} is not a directory`);
    return await realpath(dir);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      `--input ${dir}: ${errorCode(err) === 'ENOENT' ? 'no such directory' : errorMessage(err)}`,
    );
  }
}

/**
 * Creates --output one level at a time from its nearest existing ancestor, which must be a
 * directory. Not `mkdir({recursive: true})`: on some file systems (`/proc/nope`) it gets ENOENT
 * for ever and spins, deaf to signals; here every step is one syscall and fails once.
 */
async function makeOutputDir(dir: string): Promise<void> {
  const missing: string[] = [];
  let at = path.resolve(dir);
  for (;;) {
    const st = await stat(at).catch((err: unknown) => {
      if (errorCode(err) === 'ENOENT') return undefined;
      if (errorCode(err) === 'ENOTDIR')
        throw new ConfigError(`--output ${dir}: a parent of ${at} is not a directory`);
      throw err;
    });
    if (st) {
      if (!st.isDirectory()) throw new ConfigError(`--output ${dir}: ${at} is not a directory`);
      break;
    }
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at || missing.length > MAX_CREATED_LEVELS)
      throw new ConfigError(`--output ${dir}: no existing parent directory`);
    at = parent;
  }
  for (const level of missing.reverse()) {
    try {
      await mkdir(level);
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw err;
    }
  }
}

/**
 * --output: created if missing, a directory we can really write in (a probe file is written
 * and removed: access() says yes to root on a read-only mount); its real path. Every unusable
 * output (`/proc/nope`, a file, read-only) is a ConfigError here, before any request.
 */
export async function preflightOutput(dir: string): Promise<string> {
  try {
    await makeOutputDir(dir);
    const real = await realpath(dir);
    const st = await stat(real);
    if (!st.isDirectory()) throw new ConfigError(`--output ${dir} is not a directory`);
    await access(real, constants.W_OK);
    const probe = path.join(real, `.tcpb-probe-${randomBytes(4).toString('hex')}`);
    await writeFile(probe, '');
    await unlink(probe);
    return real;
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`--output ${dir} is not writable: ${errorMessage(err)}`);
  }
}

/** --out / --report: the folder it goes in exists and is writable (checked before any request). */
export async function preflightFile(flag: string, file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw new ConfigError(`${flag} ${file}: ${dir} is not a directory`);
    await access(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`${flag} ${file}: cannot write in ${dir}: ${errorMessage(err)}`);
  }
}
