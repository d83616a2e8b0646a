import { pino, type Logger as PinoLogger, type LevelWithSilent } from 'pino';
import { Writable } from 'node:stream';

export type Logger = PinoLogger;
export type LogLevel = LevelWithSilent;

export interface LoggerOptions {
  level: LogLevel;
  /** Human-readable lines instead of JSON; the CLI turns this on only when stdout is a TTY. */
  pretty?: boolean;
  /** Fields added to every line (e.g. the process role and worker slot). */
  base?: Record<string, unknown>;
  /** Where lines go; stdout by default. Tests pass a collector. */
  destination?: NodeJS.WritableStream;
  /**
   * Gather lines and write them in batches (at least every FLUSH_INTERVAL_MS, and at exit) instead
   * of a write per line: for a busy worker's per-request log. A worker killed with SIGKILL loses
   * at most the last interval's lines.
   */
  buffered?: boolean;
}

const FLUSH_INTERVAL_MS = 200;
/** sonic-boom wants this below its 16 KiB maximum write. */
const BUFFER_BYTES = 8 * 1024;

/**
 * JSON lines through pino. Nothing here knows about secrets: callers never pass keys,
 * authorization headers or raw config values to a logger (see redact.ts for upstream text).
 */
export function createLogger(options: LoggerOptions): Logger {
  const pinoOptions = {
    level: options.level,
    base: { pid: process.pid, ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (options.destination) return pino(pinoOptions, options.destination);
  if (options.pretty) return pino(pinoOptions, prettyStream(process.stdout));
  if (!options.buffered) return pino(pinoOptions, pino.destination({ dest: 1, sync: true }));
  const destination = pino.destination({ dest: 1, sync: true, minLength: BUFFER_BYTES });
  setInterval(() => destination.flush(), FLUSH_INTERVAL_MS).unref();
  process.once('exit', () => destination.flushSync());
  return pino(pinoOptions, destination);
}

/** Writes a ready-made JSON line (or nothing when the level is off). */
export type LineWriter = (fieldsJson: string) => void;

/**
 * A fast path for one hot, fixed-shape line (the per-request log): the caller builds its fields
 * as JSON text; level, time, the logger's bindings and the message are added here, exactly as
 * pino writes them, and the line goes to the same destination (so lines stay in order). About a
 * third of pino's cost for the same line. Falls back to pino when lines are pretty-printed.
 */
export function lineWriter(logger: Logger, level: 'info', msg: string): LineWriter {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { write(line: string): void } | undefined;
  if (stream === undefined || stream instanceof Writable) {
    return (fieldsJson) => logger[level](JSON.parse(`{${fieldsJson}}`) as object, msg);
  }
  const bindings = JSON.stringify(logger.bindings()).slice(1, -1);
  const tail = `,"msg":${JSON.stringify(msg)}}\n`;
  const head = `{"level":"${level}","time":"`;
  return (fieldsJson) => {
    if (!logger.isLevelEnabled(level)) return;
    stream.write(`${head}${new Date().toISOString()}"${bindings ? `,${bindings}` : ''},${fieldsJson}${tail}`);
  };
}

const LEVEL_COLOURS: Record<string, string> = {
  trace: '\x1b[90m', debug: '\x1b[36m', info: '\x1b[32m', warn: '\x1b[33m', error: '\x1b[31m', fatal: '\x1b[35m',
};

/** A small TTY formatter: `12:00:01 INFO  message key=value …`. */
function prettyStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line) out.write(formatPretty(line) + '\n');
      }
      callback();
    },
  });
}

function formatPretty(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, msg, pid: _pid, ...rest } = record;
  const label = String(level ?? 'info');
  const clock = typeof time === 'string' ? time.slice(11, 19) : '';
  const extras = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const colour = LEVEL_COLOURS[label] ?? '';
  return `${clock} ${colour}${label.toUpperCase().padEnd(5)}\x1b[0m ${String(msg ?? '')}${extras ? ' ' + extras : ''}`;
}
