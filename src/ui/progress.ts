import { Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { BenchEvent, EventBus } from '../run/events.ts';
import { chooseEventStyle, createEventRenderer } from './events.ts';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

function defer<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export interface ProgressOptions {
  /** The phases to show, in lifecycle order; a phase that never starts is shown as skipped. */
  phases: string[];
  events: EventBus;
  json: boolean;
  /** Live view or plain lines; default: live when a person watches a terminal. */
  live?: boolean;
  /** Where the live view writes (default stderr); a test passes its own. */
  stream?: NodeJS.WriteStream;
}

/** True when a person watches a terminal: then the live view, otherwise plain lines. */
export function wantsLiveProgress(json: boolean): boolean {
  return !json && process.stderr.isTTY === true && !process.env.CI;
}

/**
 * Runs `work` while showing its events: for a person at a terminal a listr2 task per phase,
 * updated live from the phase's progress events; in CI, in a pipe or under --json plain lines
 * (or nothing). listr2's own signal handlers stay off: the command handles Ctrl-C itself.
 */
export async function withProgress<T>(options: ProgressOptions, work: () => Promise<T>): Promise<T> {
  if (!(options.live ?? wantsLiveProgress(options.json))) {
    const unsubscribe = options.events.subscribe(createEventRenderer(chooseEventStyle({ json: options.json })));
    try {
      return await work();
    } finally {
      unsubscribe();
    }
  }
  const started = new Map(options.phases.map((p) => [p, defer<string>()]));
  const ended = new Map(options.phases.map((p) => [p, defer<string>()]));
  const outputs = new Map<string, (line: string) => void>();
  // Hints (`run.hint`: e.g. the command that opens Grafana) stay in their phase's final line,
  // where the phase's passing output lines do not.
  const hints = new Map<string, string[]>();
  const workDone = defer<void>();
  const unsubscribe = options.events.subscribe((e: BenchEvent) => {
    const index = options.phases.indexOf(e.phase);
    if (index < 0) return;
    if (e.code === 'phase.start') {
      started.get(e.phase)?.resolve(e.message);
      // Phases that were passed over (e.g. connect after a failed provision) are skipped.
      for (const p of options.phases.slice(0, index)) started.get(p)?.reject(new Error('skipped'));
    } else if (e.code === 'phase.end') ended.get(e.phase)?.resolve(e.message);
    else if (e.code === 'phase.failed') ended.get(e.phase)?.reject(new Error(e.message));
    else {
      if (e.code === 'run.hint') hints.set(e.phase, [...(hints.get(e.phase) ?? []), e.message]);
      outputs.get(e.phase)?.(e.message);
    }
  });
  const list = new Listr(
    options.phases.map((phase) => ({
      title: phase,
      task: async (_ctx: unknown, task: { title: string; output: string; skip: (m?: string) => void }) => {
        const startMessage = await Promise.race([
          started.get(phase)?.promise,
          workDone.promise.then(() => undefined),
        ]).catch(() => undefined);
        if (startMessage === undefined) {
          task.skip(`${phase}: not run`);
          return;
        }
        task.title = `${phase}: ${startMessage}`;
        outputs.set(phase, (line) => {
          task.output = line;
        });
        const endMessage = await Promise.race([
          ended.get(phase)?.promise,
          workDone.promise.then(() => `${phase} stopped`),
        ]);
        task.title = [`${phase}: ${endMessage}`, ...(hints.get(phase) ?? []).map((h) => `  ${h}`)].join('\n');
      },
    })),
    {
      concurrent: false,
      exitOnError: false,
      registerSignalListeners: false,
      forceTTY: options.stream !== undefined,
      // Progress goes to stderr: stdout carries the command's result.
      rendererOptions: {
        logger: new ListrLogger({
          processOutput: new ProcessOutput(options.stream ?? process.stderr, options.stream ?? process.stderr),
        }),
        collapseErrors: false,
      },
    },
  );
  const rendering = list.run().catch(() => undefined);
  try {
    return await work();
  } finally {
    workDone.resolve();
    await rendering;
    unsubscribe();
  }
}
