import { Channel, Job, type Task } from '../../src/index.js';

/**
 * Go's `context.WithCancel` example as a job: a generator task sends 1, 2, 3 … into a channel,
 * a group of workers squares them, and the job ends as soon as `count` results are in. Every
 * blocked send and receive is released by the job's signal; nothing leaks.
 */
export async function firstSquares(count: number, workers = 3): Promise<number[]> {
  const numbers = new Channel<number>();
  const squares: number[] = [];
  const job = new Job(undefined, { name: 'squares', timeout: 5000 });

  job.addTask(() => {
    let n = 0;
    return {
      run: (task: Task) => numbers.send(++n, task.signal),
      finalize: () => numbers.close(),
    };
  });
  for (let w = 0; w < workers; w++) {
    job.addTask(() => ({
      async run(task: Task) {
        const n = await numbers.receive(task.signal);
        squares.push(n * n);
        if (squares.length >= count) task.finishJob();
      },
    }));
  }

  const state = await job.run();
  if (state !== 'done') throw job.interruptedBy?.error;
  return squares.slice(0, count);
}
