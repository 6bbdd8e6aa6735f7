import { closeSync, existsSync, fsyncSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';

/**
 * The run journal: append-only JSON lines, each flushed to disk (fsync) before the tool
 * touches the world, so a crash at any point leaves enough for `bench cleanup` to finish.
 */

/** A resource the run created somewhere outside this machine. */
export interface ResourceRef {
  /** e.g. `tofu-state`, `namespace`, `service`, `elbv2-load-balancer`, `ecr-image`. */
  kind: string;
  /** Identifier unique within its kind (ARN, `ns/name`, path). */
  id: string;
  [key: string]: unknown;
}

interface RecordBase {
  /** ISO-8601 time the record was written. */
  t: string;
}

export type JournalRecord = RecordBase &
  (
    | {
        type: 'run-start';
        runId: string;
        suite: string;
        target: string;
        pid: number;
        host: string;
        options?: Record<string, unknown>;
      }
    | { type: 'phase-start'; phase: string; planned?: Record<string, unknown> }
    | { type: 'phase-end'; phase: string; ok: boolean }
    /** Written before an outside action, so a crash mid-action is still known. */
    | { type: 'action'; phase: string; action: string; data?: Record<string, unknown> }
    | { type: 'resource-created'; resource: ResourceRef }
    | {
        type: 'resource-deleted';
        resource: ResourceRef;
        /**
         * How the tool knows it is gone: `deleted` (the API accepted its deletion or said it was
         * already gone), `namespace-gone` (its namespace was seen gone), `cluster-destroyed` (its
         * cluster no longer exists), `absent` (asked again later, e.g. by `bench cleanup`).
         */
        evidence?: DeletionEvidence;
      }
    | { type: 'error'; phase: string; code: string; message: string }
    | { type: 'note'; phase: string; message: string; data?: Record<string, unknown> }
    | { type: 'run-end'; status: 'succeeded' | 'failed' | 'interrupted'; exitCode: number }
  );

/** How a deletion was confirmed (see the `resource-deleted` record). */
export type DeletionEvidence = 'deleted' | 'namespace-gone' | 'cluster-destroyed' | 'absent';

/** A record as passed in: the time is stamped by the journal. */
export type JournalEntry = JournalRecord extends infer R ? (R extends RecordBase ? Omit<R, 't'> : never) : never;

/** An open journal file. Every append is written and fsynced before it returns. */
export class Journal {
  readonly path: string;
  #fd: number | undefined;

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
  }

  /**
   * Opens (or creates) a journal for appending. If a previous process died mid-record, the
   * cut line is closed off with a newline first, so it stays one ignorable line and does not
   * swallow the next record.
   */
  static open(path: string): Journal {
    const cut = existsSync(path) && statSync(path).size > 0 && !endsWithNewline(path);
    const fd = openSync(path, 'a', 0o600);
    if (cut) writeSync(fd, '\n');
    return new Journal(path, fd);
  }

  /** Appends one record and flushes it to disk before returning. */
  append(entry: JournalEntry): JournalRecord {
    if (this.#fd === undefined) throw new Error(`journal ${this.path} is closed`);
    const record = { t: new Date().toISOString(), ...entry };
    writeSync(this.#fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.#fd);
    return record;
  }

  close(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}

function endsWithNewline(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, statSync(path).size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** What reading a journal found: the records, and how many lines could not be read. */
export interface JournalContents {
  records: JournalRecord[];
  /** Lines that were not complete JSON records (a record cut by a crash). */
  skippedLines: number;
}

/**
 * Reads a journal after a crash or while it is written: complete records are kept, a record
 * cut mid-line (or any line that is not a JSON object with a type) is skipped and counted.
 */
export function readJournal(path: string): JournalContents {
  const text = readFileSync(path, 'utf8');
  const records: JournalRecord[] = [];
  let skippedLines = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed && typeof parsed === 'object' && typeof (parsed as { type?: unknown }).type === 'string') {
        records.push(parsed as JournalRecord);
      } else {
        skippedLines++;
      }
    } catch {
      skippedLines++;
    }
  }
  return { records, skippedLines };
}

/** Resources the journal shows as created and not (yet) deleted, in creation order. */
export function aliveResources(records: readonly JournalRecord[]): ResourceRef[] {
  const alive = new Map<string, ResourceRef>();
  for (const record of records) {
    if (record.type === 'resource-created')
      alive.set(`${record.resource.kind}\0${record.resource.id}`, record.resource);
    if (record.type === 'resource-deleted') alive.delete(`${record.resource.kind}\0${record.resource.id}`);
  }
  return [...alive.values()];
}
