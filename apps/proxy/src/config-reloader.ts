import type { ProxyConfig } from './config.js';
import { loadConfigFile } from './config-file.js';
import type { Logger } from './logger.js';
import type { ServiceConfig } from './service-config.js';

/** What a reload is applied to: one service in process, or the cluster's workers. */
export type ApplyConfig = (next: ServiceConfig) => Promise<unknown>;

/**
 * Re-reads the config file and applies it (SIGHUP, or a change seen by --watch-config). An
 * invalid file, or one whose new listeners cannot bind, is refused with one error line and the
 * running configuration stays. Reloads never overlap: one asked for while another runs is
 * done once after it.
 */
export function createReloader(
  flags: ProxyConfig,
  file: string,
  apply: ApplyConfig,
  logger: Logger,
): (trigger: string) => Promise<boolean> {
  let running: Promise<boolean> | undefined;
  let again = false;
  const once = async (trigger: string): Promise<boolean> => {
    let next: ServiceConfig;
    try {
      next = loadConfigFile(file, flags);
    } catch (err) {
      logger.error({ file, trigger, err: (err as Error).message }, 'config reload refused');
      return false;
    }
    try {
      const outcome = await apply(next);
      logger.info({ file, trigger, ...(outcome as object) }, 'config reloaded');
      return true;
    } catch (err) {
      logger.error({ file, trigger, err: (err as Error).message }, 'config reload refused');
      return false;
    }
  };
  const reload = (trigger: string): Promise<boolean> => {
    if (running) {
      again = true;
      return running;
    }
    running = once(trigger).finally(() => {
      running = undefined;
      if (again) {
        again = false;
        void reload(trigger);
      }
    });
    return running;
  };
  return reload;
}
