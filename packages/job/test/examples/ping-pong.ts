import { Channel, Job, type Task } from '../../src/index.js';

/**
 * go-work's ping/pong: a handoff in which the sender learns that the receiver has processed
 * the value before it sends the next one. Unbuffered channels give that for free.
 */
export async function pingPong(rounds: number): Promise<string[]> {
  const ping = new Channel<number>();
  const pong = new Channel<number>();
  const transcript: string[] = [];
  const job = new Job(undefined, { name: 'ping-pong', timeout: 5000 });

  job.addTask(() => {
    let n = 0;
    return {
      async run(task: Task) {
        await ping.send(++n, task.signal);
        const reply = await pong.receive(task.signal);
        task.assertTrue(reply === n * 2, new Error(`pong ${reply} for ping ${n}`));
        transcript.push(`ping ${n} pong ${reply}`);
        if (n === rounds) task.finishJob();
      },
    };
  });
  job.addTask(() => ({
    async run(task: Task) {
      const n = await ping.receive(task.signal);
      await pong.send(n * 2, task.signal);
    },
  }));

  const state = await job.run();
  if (state !== 'done') throw job.interruptedBy?.error;
  return transcript;
}
