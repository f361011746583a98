import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls `onChange` when `file` changes. Watches the directory, not the file: editors and
 * config-management tools replace a file by renaming a new one over it, which a watch on the
 * old inode would miss. Events are debounced (`settleMs`), so a save that writes in several
 * steps triggers one reload, after the last step.
 */
export function watchConfigFile(
  file: string,
  onChange: () => void,
  settleMs = 250,
): { close(): void } {
  const name = basename(file);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
    if (changed !== null && changed !== name) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(onChange, settleMs);
    timer.unref();
  });
  watcher.on('error', () => {}); // the directory went away: nothing more to watch
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
