import { writeSync } from 'node:fs';

/**
 * A pino destination that collects lines and writes them to a file descriptor in batches with
 * one write(2): once `minBytes` have accumulated, and whenever `flush()` is called (a timer, and
 * before exit). Unlike sonic-boom's `flushSync()`, a flush never calls fsync(2): the periodic
 * flush used to fsync the log file every 200 ms, which blocked the event loop for milliseconds
 * on a busy disk (9 % of the proxy's busy time under connection churn, see README, Benchmark).
 * Handing the bytes to the kernel is all a log line needs; it survives a crash of the process.
 */
export class BatchedWriter {
  #parts: string[] = [];
  #length = 0;

  constructor(
    private readonly fd: number,
    private readonly minBytes: number,
  ) {}

  /** pino's destination interface: one serialized line (with its newline) per call. */
  write(line: string): boolean {
    this.#parts.push(line);
    // Characters, not bytes: a threshold needs no exact count, and measuring UTF-8 costs a scan.
    this.#length += line.length;
    if (this.#length >= this.minBytes) this.flush();
    return true;
  }

  /** Writes out whatever is buffered, synchronously. Never throws: a gone stdout loses lines. */
  flush(): void {
    if (this.#length === 0) return;
    const text = this.#parts.length === 1 ? (this.#parts[0] as string) : this.#parts.join('');
    this.#parts = [];
    this.#length = 0;
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    let retries = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.fd, buf, off, buf.length - off);
      } catch (err) {
        // A non-blocking pipe that is full: wait a little for the reader, a bounded number of
        // times (as sonic-boom does); anything else (EPIPE, EBADF) drops the batch.
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || ++retries > 100) return;
        Atomics.wait(SLEEP, 0, 0, 10);
      }
    }
  }
}

const SLEEP = new Int32Array(new SharedArrayBuffer(4));
