/**
 * Debian's chromium for browser tests (with playwright-core's `executablePath`): the flags that
 * keep it headless, offline and quiet on a CI machine. Give each launch a fresh profile
 * (`--user-data-dir`, or playwright's own temporary one).
 */
import { existsSync } from 'node:fs';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Whether the browser is installed (`.ci/run` installs it; elsewhere a test may skip). */
export function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH);
}
