/**
 * @tcpbalancer/test-kit — the one harness the tests, the benches and the scripts share:
 * start the real programs and wait for their `listening` line, read /proc, fake a backend,
 * talk frames, make images, walk output trees. Every wait is bounded; everything started is
 * killed by `killAll()` (and by a last-resort exit hook).
 */
export {
  type BackendOptions,
  type Cluster,
  type ClusterOptions,
  type ProxyOptions,
  startBackend,
  startCluster,
  startProxy,
} from './apps.js';
export { type BenchRow, median, writeBenchResults } from './bench-results.js';
export { CHROMIUM_ARGS, CHROMIUM_PATH, hasChromium } from './chromium.js';
export {
  type Corpus,
  type CorpusFormat,
  type CorpusImage,
  type CorpusOptions,
  EXTENSIONS,
  type MixedImage,
  makeCorpus,
  makeImage,
  makeMixedDir,
  makePhotoFolder,
  noiseImage,
  solidImage,
  tempDir,
} from './corpus.js';
export {
  type AnswerContext,
  type Answerer,
  type FakeAnswer,
  type FakeBackend,
  type FakeBackendOptions,
  startFakeBackend,
  writeAnswer,
} from './fake-backend.js';
export { compareTrees, countFiles, type ImageDiff, listFiles } from './files.js';
export { FramePeer, type FramePeerOptions, rawFrame, rawPrefix, resizeOnce } from './frame-peer.js';
export { type HelpRow, helpMarkdown, parseHelp } from './help-table.js';
export { type NamedBytes, nonImages, pngBomb, writeFiles } from './hostile-files.js';
export { eachLine, type LogLine, parseLogLine } from './lines.js';
export { fetchMetrics, metricValue } from './metrics.js';
export {
  type CloseResult,
  collectUntilClose,
  connect,
  freePort,
  occupiedPort,
  waitForPort,
} from './net.js';
export { type AppName, BINS, REPO_ROOT, SAMPLES_DIR } from './paths.js';
export {
  DEFAULT_PHOTO_SPEC,
  loadPhotoCorpus,
  type PhotoCorpusSpec,
  type PhotoImage,
} from './photo-corpus.js';
export { prng, randomBytes } from './prng.js';
export {
  cpuSeconds,
  cpuSecondsSync,
  fdCount,
  isAlive,
  mainThreadCpuSecondsSync,
  rssKiB,
  rssKiBSync,
  type Sampler,
  sample,
  treePids,
} from './proc.js';
export {
  type AppRun,
  type ClientRun,
  type ClientSummary,
  clientArgs,
  findSummary,
  type RunOptions,
  runApp,
  runClient,
} from './run-app.js';
export {
  type AppTarget,
  killAll,
  liveApps,
  type RunningApp,
  type SpawnOptions,
  startApp,
  waitForBuilt,
} from './spawn-app.js';
export { thrown } from './thrown.js';
export { sleep, waitFor, waitUntil, withTimeout } from './timing.js';
