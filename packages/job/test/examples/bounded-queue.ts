import { Job, Notifier, type Task } from '../../src/index.js';

/**
 * A bounded queue between a producer and a few consumers, one `Notifier` per condition:
 * consumers park while the queue is empty, the producer parks while it is full. Each side
 * re-checks its condition after waking (a notification is a hint, not a promise), and passes
 * `task.signal` so that the end of the job releases whoever is still parked.
 */
export async function sumThroughQueue(items: number, capacity = 4, consumers = 2): Promise<number> {
  const queue: number[] = [];
  const notEmpty = new Notifier();
  const notFull = new Notifier();
  let produced = 0;
  let consumed = 0;
  let sum = 0;
  const job = new Job(undefined, { name: 'queue', timeout: 5000 });

  job.addTask(() => ({
    async run(task: Task) {
      while (queue.length >= capacity) await notFull.wait(task.signal);
      queue.push(++produced);
      notEmpty.notify();
      if (produced === items) task.done();
    },
  }));
  for (let c = 0; c < consumers; c++) {
    job.addTask(() => ({
      async run(task: Task) {
        while (queue.length === 0) await notEmpty.wait(task.signal);
        sum += queue.shift() ?? 0;
        notFull.notify();
        if (++consumed === items) task.finishJob(); // the other consumers are parked: released
      },
    }));
  }

  const state = await job.run();
  if (state !== 'done') throw job.interruptedBy?.error;
  return sum;
}
