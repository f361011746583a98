import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, OutputError } from './errors.js';

/**
 * Writes results inside one output root and nowhere else. Every directory on the way is
 * checked with lstat (a symlink is never followed, whatever it points to); the file is written
 * to a temp file opened O_EXCL|O_NOFOLLOW in the target directory, then renamed over the final
 * name, so an interrupted run leaves no half-written image (rename replaces a symlink at the
 * final name instead of following it).
 */
export class OutputWriter {
  readonly root: string;
  /** Directories already checked or created, so each is checked once per run. */
  readonly #dirs = new Map<string, Promise<void>>();

  /** `root` must be the realpath of an existing directory. */
  constructor(root: string) {
    this.root = root;
  }

  /** Writes `data` to `<root>/<dirs…>/<fileName>` atomically; returns the path relative to root. */
  async write(dirs: readonly string[], fileName: string, data: Buffer): Promise<string> {
    for (const part of [...dirs, fileName]) assertPlainComponent(part);
    let dir = this.root;
    for (const part of dirs) {
      dir = path.join(dir, part);
      await this.#ensureDir(dir);
    }
    const finalPath = path.join(dir, fileName);
    const rel = path.relative(this.root, finalPath);
    if (rel.startsWith('..') || path.isAbsolute(rel) || path.dirname(finalPath) !== dir) {
      throw new OutputError(`refusing to write outside --output: ${JSON.stringify(rel)}`);
    }
    const tmp = path.join(dir, `.${fileName}.${randomBytes(6).toString('hex')}.tmp`);
    let created = false;
    try {
      const fh = await open(
        tmp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o644,
      );
      created = true;
      try {
        await fh.writeFile(data);
      } finally {
        await fh.close();
      }
      await rename(tmp, finalPath);
      created = false;
      return rel.split(path.sep).join('/');
    } catch (err) {
      throw new OutputError(`cannot write ${JSON.stringify(rel)}: ${errorMessage(err)}`, {
        cause: err,
      });
    } finally {
      if (created) await unlink(tmp).catch(() => {});
    }
  }

  #ensureDir(dir: string): Promise<void> {
    let p = this.#dirs.get(dir);
    if (!p) {
      p = makePlainDir(dir);
      // A failure is not cached: the next image retries (and reports) it.
      p.catch(() => this.#dirs.delete(dir));
      this.#dirs.set(dir, p);
    }
    return p;
  }
}

async function makePlainDir(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const st = await lstat(dir);
      if (st.isSymbolicLink())
        throw new OutputError(`refusing to follow a symlink inside --output: ${dir}`);
      if (!st.isDirectory()) throw new OutputError(`not a directory inside --output: ${dir}`);
      return;
    } catch (err) {
      if (err instanceof OutputError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new OutputError(`cannot use ${dir}: ${errorMessage(err)}`, { cause: err });
      }
    }
    try {
      await mkdir(dir);
      return;
    } catch (err) {
      // EEXIST: made meanwhile (another connection); loop once more to lstat what is there.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new OutputError(`cannot create ${dir}: ${errorMessage(err)}`, { cause: err });
      }
    }
  }
}

/** Defence in depth: a component is one plain name, whatever the caller computed. */
function assertPlainComponent(part: string): void {
  if (part === '' || part === '.' || part === '..' || /[/\\\0]/.test(part)) {
    throw new OutputError(`unsafe path component ${JSON.stringify(part)}`);
  }
}
