/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core (both installed by
 * the project's own files: .ci/run apt-installs chromium; playwright-core is a devDependency).
 * Without chromium the test is skipped with a message — except under CI, where that is a failure.
 * Screenshots go to apps/proxy/test-artifacts/ (gitignored).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@tcpbalancer/test-kit';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { exchange } from '../helpers/clients.js';
import { type RunningProxy, startProxy } from '../helpers/proxy.js';

const CHROMIUM = CHROMIUM_PATH;
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const TOKEN = 'browser-test-token-1';
const CHECK_INTERVAL = 1000;

/** An echo server in its own process, so that the test can kill it as an outage would. */
async function echoProcess(): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn(
    process.execPath,
    [
      '-e',
      "require('net').createServer(s=>{s.on('error',()=>{});s.pipe(s)}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('error', reject);
    proc.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  return { port, proc };
}

const procs: ChildProcess[] = [];
let context: BrowserContext | undefined;
let proxy: RunningProxy | undefined;
let profile: string | undefined;
afterAll(async () => {
  await context?.close();
  await proxy?.close();
  for (const p of procs) p.kill('SIGKILL');
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('the dashboard in Chromium', () => {
  it('shows every upstream, sees one go down within the check interval, drains another with a token', async (ctx) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI) throw new Error(`${CHROMIUM} missing: .ci/run should have installed it`);
      console.warn(`skipped: no ${CHROMIUM} (apt-get install chromium, as .ci/run does)`);
      return ctx.skip();
    }
    const ups = [await echoProcess(), await echoProcess(), await echoProcess()];
    procs.push(...ups.map((u) => u.proc));
    const keys = ups.map((u) => `127.0.0.1:${u.port}`);
    proxy = await startProxy(keys, {
      metricsPort: 0,
      adminToken: TOKEN,
      healthInterval: CHECK_INTERVAL,
      healthFall: 1,
    });
    const p = proxy;
    for (let i = 0; i < 9; i++) await exchange(p.port, Buffer.from(`warm ${i}`));
    const url = `http://127.0.0.1:${p.metricsPort}/`;

    profile = mkdtempSync(join(tmpdir(), 'tcpb-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: { width: 1200, height: 820 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const foreign: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(`http://127.0.0.1:${p.metricsPort}/`)) foreign.push(r.url());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(url);

    // Every upstream has a row, up.
    for (const key of keys) {
      await page.waitForSelector(`tr[data-upstream="${key}"][data-state="up"]`, { timeout: 5000 });
    }
    // The charts drew (uPlot inlined: no CDN, nothing fetched from elsewhere).
    await page.waitForSelector('#c-rate canvas', { timeout: 5000 });

    // An upstream process dies: the proxy marks it down within a check interval, the page shows it.
    const [dead, drained, other] = keys as [string, string, string];
    const killedAt = Date.now();
    ups[0]?.proc.kill('SIGKILL');
    await page.waitForSelector(`tr[data-upstream="${dead}"][data-state="down"]`, {
      // one check interval for the proxy, one poll (1 s) for the page, and slack for a loaded machine
      timeout: CHECK_INTERVAL + 1000 + 3000,
    });
    const seenDownMs = Date.now() - killedAt;
    const downAt = p.logs.find((l) => l.msg === 'upstream down' && l.upstream === dead)
      ?.time as number;
    // Down at the first check after the kill: within one interval (+ slack for a loaded machine).
    expect(downAt - killedAt).toBeLessThanOrEqual(CHECK_INTERVAL + 1000);

    // Buttons need the token.
    const drainButton = page.locator(`button[data-action="drain"][data-up="${drained}"]`);
    expect(await drainButton.isDisabled()).toBe(true);
    await page.fill('#token', TOKEN);
    await page.click('#use-token');
    await page.waitForSelector(`button[data-action="drain"][data-up="${drained}"]:not([disabled])`);
    await page.click(`button[data-action="drain"][data-up="${drained}"]`);
    await page.waitForSelector(`tr[data-upstream="${drained}"][data-state="draining"]`, {
      timeout: 5000,
    });
    expect(p.proxy.stats().upstreams.find((u) => u.address === drained)?.state).toBe('draining');

    // New connections go elsewhere.
    const totalOf = (k: string) =>
      p.proxy.stats().upstreams.find((u) => u.address === k)?.total ?? 0;
    const before = { drained: totalOf(drained), other: totalOf(other) };
    for (let i = 0; i < 10; i++)
      expect((await exchange(p.port, Buffer.from(`n${i}`))).data.toString()).toBe(`n${i}`);
    expect(totalOf(drained)).toBe(before.drained);
    expect(totalOf(other)).toBe(before.other + 10);
    const adminLine = p.logs.find((l) => l.msg === 'admin action') as { by?: { actor?: string } };
    expect(adminLine?.by?.actor).toBe('dashboard');

    // A few live updates for the charts, then the screenshots (laptop and phone width).
    await page.waitForTimeout(2500);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const overflow = (await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )) as number;
    expect(overflow).toBeLessThanOrEqual(1); // no sideways scrolling on a phone
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true });

    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
    console.info(
      `dashboard: upstream seen down on the page ${seenDownMs} ms after its process was killed`,
    );
  }, 60_000);
});
