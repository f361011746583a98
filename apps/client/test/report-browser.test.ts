import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Frame, FrameType } from '@tcpbalancer/protocol';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '@tcpbalancer/test-kit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeBackend, lastJson, runCli, startFakeBackend } from './helpers.js';

const CHROMIUM = CHROMIUM_PATH;
const here = path.dirname(fileURLToPath(import.meta.url));
/** Screenshots for people to look at (gitignored). */
const ARTIFACTS = path.resolve(here, '../test-artifacts');
// CI installs chromium (.ci/run); a developer machine without it skips, CI never does.
const haveChromium = existsSync(CHROMIUM) || process.env.CI === 'true';

/**
 * The HTML report in a real browser (Debian chromium through playwright-core): made from real
 * client runs (a closed-loop and an open-loop one against a backend that answers dry-run
 * metadata after a few ms), then loaded from file with no network.
 */
describe.skipIf(!haveChromium)('the HTML report in Chromium', () => {
  let work: string;
  let fake: FakeBackend;
  let browser: Browser;
  const runs = () => ({
    closed: path.join(work, 'closed.json'),
    open: path.join(work, 'open.json'),
  });

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'tcpb-report-'));
    await mkdir(path.join(work, 'in'));
    await writeFile(path.join(work, 'in/a.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]));
    let n = 0;
    fake = await startFakeBackend((req: Frame) => {
      const header = {
        backend: `b${(n++ % 2) + 1}`,
        width: 8,
        height: 8,
        format: 'jpeg',
        bytes: 0,
        ms: 1,
        dryRun: true,
      };
      return [
        { type: FrameType.Response, requestId: req.requestId, header, payload: Buffer.alloc(0) },
      ];
    });
    const base = [
      '--proxy',
      `127.0.0.1:${fake.port}`,
      '-i',
      path.join(work, 'in'),
      '--dry-run',
      '--json',
    ];
    const closed = await runCli([
      ...base,
      '--duration',
      '1500ms',
      '--interval',
      '250ms',
      '--conns',
      '2',
      '--out',
      runs().closed,
      '--report',
      path.join(work, 'closed.html'),
    ]);
    expect(closed.code, closed.stderr).toBe(0);
    const open = await runCli([
      ...base,
      '--duration',
      '1500ms',
      '--interval',
      '250ms',
      '--rate',
      '200',
      '--out',
      runs().open,
    ]);
    expect(open.code, open.stderr).toBe(0);
    expect(lastJson(open.stdout).openLoop).toBe(true);
    // launch() gives the browser a fresh temporary profile (--user-data-dir) of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', ...CHROMIUM_ARGS],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await fake?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  interface DrawnChart {
    id: string;
    labels: string[];
    columns: number;
    rows: number;
    values: number;
  }

  /** Opens a report; returns each chart's uPlot data as drawn, and the console errors. */
  async function open(file: string, screenshot: string) {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    // Offline: any request leaving the page fails the test.
    await page.route('**/*', (route) =>
      route.request().url().startsWith('file:') ? route.continue() : route.abort(),
    );
    await page.goto(`file://${file}`);
    await page.waitForFunction('document.body.getAttribute("data-charts-drawn") !== null');
    // Read in the page (a string: the test's tsconfig has no DOM types).
    const charts = (await page.evaluate(`Object.entries(window.__charts).map(([id, u]) => ({
      id,
      labels: u.series.slice(1).map((s) => s.label),
      columns: u.data.length,
      rows: u.data[0] ? u.data[0].length : 0,
      values: u.data.slice(1).reduce((n, col) => n + col.filter((v) => v !== null && v !== undefined).length, 0),
    }))`)) as DrawnChart[];
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, screenshot), fullPage: true });
    await page.close();
    return { charts, errors };
  }

  it('one run: loads with no console error, and every chart has drawn its data', async () => {
    const { charts, errors } = await open(path.join(work, 'closed.html'), 'report-one-run.png');
    expect(errors).toEqual([]);
    expect(charts.map((c) => c.id).sort()).toEqual([
      'active',
      'backends',
      'bytes',
      'errors',
      'hdr',
      'latency',
      'throughput',
    ]);
    for (const c of charts) {
      expect(c.columns, c.id).toBe(c.labels.length + 1);
      expect(c.rows, c.id).toBeGreaterThan(2);
      expect(c.values, c.id).toBeGreaterThan(0);
    }
    expect(charts.find((c) => c.id === 'backends')?.labels).toEqual(['b1', 'b2']);
    expect(charts.find((c) => c.id === 'latency')?.labels).toEqual([
      'p50',
      'p90',
      'p99',
      'p99.9',
      'max',
    ]);
  });

  it('two runs (closed vs open loop) are overlaid, with the open loop charts', async () => {
    const file = path.join(work, 'both.html');
    const r = await runCli(['report', runs().closed, runs().open, '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    const { charts, errors } = await open(file, 'report-two-runs.png');
    expect(errors).toEqual([]);
    const byId = new Map(charts.map((c) => [c.id, c]));
    expect(byId.get('throughput')?.labels).toEqual(['closed req/s', 'open req/s']);
    expect(byId.get('hdr')?.labels).toEqual(['closed', 'open']);
    for (const c of charts) expect(c.values, c.id).toBeGreaterThan(0);
    // Open loop only: scheduled vs achieved, corrected vs uncorrected p99 (and its marks).
    expect(byId.get('openloop-rate')?.labels).toEqual(['scheduled', 'achieved']);
    expect(byId.get('openloop-co')?.labels.slice(0, 2)).toEqual([
      'p99 (from schedule)',
      'p99 (from send)',
    ]);
  });

  it('report refuses a file that is not a saved run', async () => {
    const bad = path.join(work, 'bad.json');
    await writeFile(bad, '{"format":"something-else"}');
    const r = await runCli(['report', bad, '-o', path.join(work, 'x.html')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a tcpbalancer-client-run');
  });
});
