/** Reading a Prometheus text endpoint the way a scraper would. */

/** GET http://host:port/metrics as text (bounded by `timeoutMs`). */
export async function fetchMetrics(port: number, host = '127.0.0.1', timeoutMs = 5000) {
  const res = await fetch(`http://${host}:${port}/metrics`, {
    signal: AbortSignal.timeout(timeoutMs),
  });
  return res.text();
}

/** The value of one sample (`name{labels} value`), summed over the lines that match. */
export function metricValue(text: string, name: string, labelFilter = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labelFilter && !line.includes(labelFilter)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
