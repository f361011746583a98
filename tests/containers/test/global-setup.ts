import { engine, HOW } from './support/engine.js';

// Without an engine the container tests cannot run. On a contributor's machine that is a
// clear skip, said once here (every test then shows as skipped); under CI=true it is a
// failure: CI promises that the container path was run for real.
export default function setup(): void {
  if (engine.missing === '') {
    process.stdout.write(`tests/containers: Docker ${engine.server}, Compose ${engine.compose}\n`);
    return;
  }
  if (process.env.CI === 'true') {
    throw new Error(`tests/containers: CI=true but ${engine.missing}; ${HOW}`);
  }
  process.stdout.write(
    `\ntests/containers: SKIPPED, ${engine.missing}.\n  To run them, ${HOW}.\n\n`,
  );
}
