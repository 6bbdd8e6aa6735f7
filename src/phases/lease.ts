/**
 * A run's ownership of its cluster: one coordination.k8s.io/v1 Lease, `kube-system/bench-run`,
 * whose holderIdentity is the run id. The suites use fixed namespaces, so two runs on one cluster
 * would relabel and delete each other's objects; before deploy applies anything the run takes the
 * lease, renews it every 20 s (duration 60 s) and releases it at the end of teardown. A second
 * run refuses (exit 2, E_CLUSTER_LEASED) naming the holder and creating nothing.
 *
 * Takeover rules, in the order a user expects them:
 * - no lease, a released one (no holder) or our own: taken.
 * - an expired lease (not renewed within its duration: its holder is gone or cut off): taken over
 *   automatically, with a warning event.
 * - an unexpired lease whose holder is provably dead (its journal in this runs directory has a
 *   run-end, or it ran on this host and its pid is not alive): taken over only with
 *   `--force-takeover`; without it the refusal says so.
 * - anything else (a live holder, or one on another host we cannot see): refused, even with
 *   `--force-takeover`, saying why.
 * - a run kept with --keep holds the lease (7 days, not renewed) until `bench cleanup` releases it:
 *   its objects are still in the cluster, so --force-takeover refuses it too.
 *
 * Every write is optimistic (create: 409 if someone else created it first; replace and delete:
 * the resourceVersion read): two runs racing cannot both win.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ClusterLease, KubeLeases, LeaseKey, LeaseSpec } from '../adapters/kube-cluster.ts';
import { isAlive as pidAlive } from '../adapters/processes.ts';
import { InfrastructureError, UsageError } from '../errors.ts';
import type { EventBus } from '../run/events.ts';
import { readJournal, type Journal } from '../run/journal.ts';
import { JOURNAL_FILE } from '../run/run-dir.ts';

/** The one lease per cluster (kube-system exists on every cluster; EKS: the run's identity is cluster-admin). */
export const CLUSTER_LEASE: LeaseKey = { namespace: 'kube-system', name: 'bench-run' };
/** Not renewed for this long, a lease is expired. */
export const LEASE_DURATION_SECONDS = 60;
/** Renewed this often: two renewals may fail before it expires. */
export const LEASE_RENEW_MS = 20_000;
/** A kept run's lease (not renewed: nobody is there to renew it). */
export const KEPT_LEASE_DURATION_SECONDS = 7 * 24 * 3600;

/** Annotations on the lease that say who holds it. */
export const LEASE_ANNOTATIONS = {
  host: 'bench.dev/host',
  pid: 'bench.dev/pid',
  runsDir: 'bench.dev/runs-dir',
  kept: 'bench.dev/kept',
} as const;

/** The lease is taken right after connect (its events show there) and released at the end of teardown. */
const PHASE = 'connect';
const END_PHASE = 'teardown';

/** A lease the run holds: renewed until released. */
export interface HeldLease {
  readonly runId: string;
  /** True once a renewal found the lease taken or deleted by someone else. */
  readonly lost: boolean;
  /** Stops renewing and deletes the lease if it is still ours. Never throws (a warning event instead). */
  release(): Promise<void>;
  /** Stops renewing and keeps the lease, for a run kept with --keep (until `bench cleanup`). */
  keep(): Promise<void>;
}

export interface AcquireLeaseInput {
  leases: KubeLeases;
  runId: string;
  journal: Journal;
  events: EventBus;
  /** Take over an unexpired lease whose holder is provably dead. */
  forceTakeover?: boolean;
  /** This run's runs directory: a holder's journal found there tells whether it ended. */
  runsRoot: string;
  /** Stops the renewal timer (the renewals also stop at release). */
  signal?: AbortSignal;
  /** For tests: this host, this pid, whether a pid is alive. */
  host?: string;
  pid?: number;
  isAlive?: (pid: number) => boolean;
  durationSeconds?: number;
  renewMs?: number;
}

/** Why the holder of a lease is (or is not) provably dead. */
export interface HolderVerdict {
  dead: boolean;
  why: string;
}

/** Whether the lease's time is up: not renewed within its duration. */
export function leaseExpired(lease: ClusterLease, now: number = Date.now()): boolean {
  const renewed = (lease.renewedAt ?? lease.acquiredAt)?.getTime();
  if (renewed === undefined || lease.durationSeconds === undefined) return true;
  return renewed + lease.durationSeconds * 1000 < now;
}

/** Whether the holder of an unexpired lease is provably dead, and why (for the message either way). */
export function judgeHolder(
  lease: ClusterLease,
  facts: { runsRoot: string; host: string; isAlive: (pid: number) => boolean },
): HolderVerdict {
  const holder = lease.holder as string;
  const host = lease.annotations[LEASE_ANNOTATIONS.host];
  const pid = Number(lease.annotations[LEASE_ANNOTATIONS.pid]);
  if (lease.annotations[LEASE_ANNOTATIONS.kept] === 'true')
    return { dead: false, why: `run ${holder} was kept (--keep): its objects are still in the cluster` };
  const dirs = [facts.runsRoot];
  const theirs = lease.annotations[LEASE_ANNOTATIONS.runsDir];
  if (theirs && host === facts.host) dirs.push(theirs);
  for (const dir of dirs) {
    const path = join(dir, holder, JOURNAL_FILE);
    if (!existsSync(path)) continue;
    try {
      if (readJournal(path).records.some((r) => r.type === 'run-end'))
        return { dead: true, why: `the journal of run ${holder} (${path}) says it ended` };
    } catch {
      // An unreadable journal proves nothing.
    }
  }
  if (host === facts.host && Number.isInteger(pid) && pid > 0) {
    if (!facts.isAlive(pid)) return { dead: true, why: `its process ${pid} on this host (${host}) is gone` };
    return { dead: false, why: `its process ${pid} on this host is alive` };
  }
  return {
    dead: false,
    why: host
      ? `it runs on another host (${host}), whose process cannot be checked from here, and the lease is renewed`
      : 'nothing says where it runs, and the lease is renewed',
  };
}

/**
 * Takes the cluster's lease for the run before anything is deployed, or refuses (UsageError
 * E_CLUSTER_LEASED, exit 2) naming the run that holds it. Returns the held lease, renewed until
 * released. Creates nothing in the cluster but the lease itself.
 */
export async function acquireClusterLease(input: AcquireLeaseInput): Promise<HeldLease> {
  const { leases, runId, journal, events } = input;
  const host = input.host ?? hostname();
  const pid = input.pid ?? process.pid;
  const isAlive = input.isAlive ?? pidAlive;
  const durationSeconds = input.durationSeconds ?? LEASE_DURATION_SECONDS;
  const annotations = {
    [LEASE_ANNOTATIONS.host]: host,
    [LEASE_ANNOTATIONS.pid]: String(pid),
    [LEASE_ANNOTATIONS.runsDir]: input.runsRoot,
  };
  const where = `Lease ${CLUSTER_LEASE.namespace}/${CLUSTER_LEASE.name} on ${leases.server}`;
  journal.append({ type: 'action', phase: PHASE, action: 'lease-acquire', data: { lease: where } });

  let held: ClusterLease | undefined;
  // A lost race (409) means: read again and judge what the winner wrote.
  for (let attempt = 0; attempt < 5 && !held; attempt++) {
    const now = new Date();
    const current = await leases.readLease(CLUSTER_LEASE);
    const spec = (transitions: number, acquiredAt: Date = now): LeaseSpec => ({
      holder: runId,
      durationSeconds,
      acquiredAt,
      renewedAt: now,
      transitions,
      annotations,
    });
    if (!current) {
      const created = await leases.createLease(CLUSTER_LEASE, spec(0));
      if (created !== 'conflict') held = created;
      continue;
    }
    const other = current.holder !== undefined && current.holder !== runId;
    if (other) {
      const holder = current.holder as string;
      const since = current.renewedAt?.toISOString() ?? 'never';
      if (leaseExpired(current, now.getTime())) {
        events.emit(
          'warn',
          PHASE,
          'lease.takeover',
          `taking over the cluster from run ${holder}: its lease expired (last renewed ${since})`,
          { holder, renewedAt: since },
        );
      } else {
        const verdict = judgeHolder(current, { runsRoot: input.runsRoot, host, isAlive });
        if (!input.forceTakeover || !verdict.dead) {
          throw new UsageError(
            'E_CLUSTER_LEASED',
            `the cluster is in use by run ${holder} (${where}, renewed ${since}${
              current.annotations[LEASE_ANNOTATIONS.host] ? `, host ${current.annotations[LEASE_ANNOTATIONS.host]}` : ''
            }${current.annotations[LEASE_ANNOTATIONS.pid] ? `, pid ${current.annotations[LEASE_ANNOTATIONS.pid]}` : ''}); nothing was created in it${
              input.forceTakeover ? `; --force-takeover refused: ${verdict.why}` : ''
            }`,
            {
              fix: verdict.dead
                ? `its holder is provably dead (${verdict.why}): run \`bench cleanup ${holder}\`, or pass --force-takeover`
                : `wait for run ${holder} to finish (or stop it: Ctrl-C in its terminal tears it down), or use another cluster; if it crashed, its lease expires ${durationSeconds}s after its last renewal, or \`bench cleanup ${holder}\` releases it`,
              data: { holder, lease: where, renewedAt: since, annotations: current.annotations, verdict },
            },
          );
        }
        events.emit(
          'warn',
          PHASE,
          'lease.takeover',
          `taking over the cluster from run ${holder} (--force-takeover): ${verdict.why}`,
          {
            holder,
            why: verdict.why,
          },
        );
      }
    }
    const replaced = await leases.replaceLease(
      current,
      spec(current.transitions + (other ? 1 : 0), other || !current.holder ? now : (current.acquiredAt ?? now)),
    );
    if (replaced !== 'conflict' && replaced !== 'gone') held = replaced;
  }
  if (!held)
    throw new InfrastructureError('E_LEASE_RACE', `${where}: kept changing while this run tried to take it`, {
      fix: 'another run is taking the cluster at the same time; try again in a minute',
    });
  journal.append({
    type: 'note',
    phase: PHASE,
    message: 'lease acquired',
    data: { lease: where, holder: runId, durationSeconds, resourceVersion: held.resourceVersion },
  });
  events.emit('info', PHASE, 'lease.acquired', `holding the cluster (${where})`);

  let current: ClusterLease = held;
  let lost = false;
  let stopped = false;
  let renewing: Promise<void> = Promise.resolve();
  const renew = async () => {
    if (stopped || lost) return;
    const now = new Date();
    try {
      const next = await leases.replaceLease(current, {
        holder: runId,
        durationSeconds,
        acquiredAt: current.acquiredAt ?? now,
        renewedAt: now,
        transitions: current.transitions,
        annotations,
      });
      if (next === 'conflict' || next === 'gone') {
        lost = true;
        clearInterval(timer);
        journal.append({ type: 'note', phase: PHASE, message: 'lease lost', data: { lease: where, why: next } });
        events.emit(
          'warn',
          PHASE,
          'lease.lost',
          `the cluster's lease was ${next === 'gone' ? 'deleted' : 'taken'} by someone else (${where})`,
        );
      } else current = next;
    } catch (err) {
      // One failed renewal is not the end: the lease lasts three renewal periods.
      events.emit('warn', PHASE, 'lease.renew', `could not renew ${where}: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  const timer = setInterval(() => {
    renewing = renewing.then(renew);
  }, input.renewMs ?? LEASE_RENEW_MS);
  (timer as { unref?: () => void }).unref?.();
  const stop = async () => {
    stopped = true;
    clearInterval(timer);
    input.signal?.removeEventListener('abort', onAbort);
    await renewing;
  };
  const onAbort = () => void stop();
  input.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    runId,
    get lost() {
      return lost;
    },
    async release() {
      await stop();
      if (lost) return;
      try {
        const fresh = await leases.readLease(CLUSTER_LEASE);
        const released = fresh?.holder === runId ? await leases.deleteLease(fresh) : false;
        journal.append({
          type: 'note',
          phase: END_PHASE,
          message: released ? 'lease released' : 'lease not held',
          data: { lease: where },
        });
        if (released) events.emit('info', END_PHASE, 'lease.released', `released the cluster (${where})`);
      } catch (err) {
        events.emit(
          'warn',
          PHASE,
          'lease.release',
          `could not release ${where} (it expires ${durationSeconds}s after its last renewal): ${(err as Error).message.split('\n')[0]}`,
        );
      }
    },
    async keep() {
      await stop();
      if (lost) return;
      try {
        const fresh = await leases.readLease(CLUSTER_LEASE);
        if (fresh?.holder !== runId) return;
        await leases.replaceLease(fresh, {
          holder: runId,
          durationSeconds: KEPT_LEASE_DURATION_SECONDS,
          acquiredAt: fresh.acquiredAt ?? new Date(),
          renewedAt: new Date(),
          transitions: fresh.transitions,
          annotations: { ...annotations, [LEASE_ANNOTATIONS.kept]: 'true' },
        });
        journal.append({ type: 'note', phase: END_PHASE, message: 'lease kept (--keep)', data: { lease: where } });
      } catch (err) {
        events.emit(
          'warn',
          END_PHASE,
          'lease.keep',
          `could not keep ${where}: ${(err as Error).message.split('\n')[0]}`,
        );
      }
    },
  };
}

/**
 * For `bench cleanup <run-id>` after teardown: deletes the cluster's lease if that run holds it
 * (a crashed or kept run), and says whether it did. A lease of another run is never touched.
 */
export async function releaseLeaseIfHeld(
  leases: KubeLeases,
  runId: string,
  journal?: Journal,
): Promise<'released' | 'not-held'> {
  const current = await leases.readLease(CLUSTER_LEASE);
  const released = current?.holder === runId ? await leases.deleteLease(current) : false;
  journal?.append({
    type: 'note',
    phase: 'cleanup',
    message: released ? 'lease released' : 'lease not held',
    data: { lease: `Lease ${CLUSTER_LEASE.namespace}/${CLUSTER_LEASE.name} on ${leases.server}` },
  });
  return released ? 'released' : 'not-held';
}
