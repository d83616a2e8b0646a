import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './ports.js';

/** A real redis-server on a free 127.0.0.1 port, started and stopped by the test. */
export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  /** Stops the server (the port stays known so `start()` can bring it back). */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: it keeps nothing on disk). */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open but nothing is answered, as in a stall. */
  pause(): void;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
}

export async function startRedis(): Promise<RedisProcess> {
  const port = await freePort();
  let proc: ChildProcess | undefined;

  const start = async () => {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (await ping(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server did not start on port ${port}`);
  };
  const stop = async () => {
    const current = proc;
    proc = undefined;
    if (current === undefined || current.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      current.once('exit', () => resolve());
      current.kill('SIGKILL');
    });
  };
  const pause = () => {
    proc?.kill('SIGSTOP');
  };
  const resume = () => {
    proc?.kill('SIGCONT');
  };
  await start();
  process.once('exit', () => proc?.kill('SIGKILL'));
  return { port, url: `redis://127.0.0.1:${port}`, stop, start, pause, resume };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
