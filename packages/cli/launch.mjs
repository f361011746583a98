// The body of the three commands' launchers (apps/<app>/bin/tcpbalancer-<app>.js), once.
// npm links a workspace's bin into node_modules/.bin at `npm ci` only if its target exists then,
// before any build: so the launchers are committed plain JS, and so is this module they import
// (it sits outside src/ and is never built). It runs the app's build, or says how to make it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Runs `../dist/main.js` beside the launcher at `launcherUrl` (its `import.meta.url`); when that
 * is missing, prints one line naming the command and exits 2, the status of a usage error.
 * @param {string} name the command, first on the line: `tcpbalancer-proxy`
 * @param {string} launcherUrl the launcher's `import.meta.url`
 * @returns {Promise<void>}
 */
export async function launch(name, launcherUrl) {
  const main = new URL('../dist/main.js', launcherUrl);
  if (!existsSync(fileURLToPath(main))) {
    process.stderr.write(
      `${name}: not built yet: run \`npm run build\` in the repository root first ` +
        `(${fileURLToPath(main)} is missing)\n`,
    );
    process.exit(2);
  }
  await import(main.href);
}
