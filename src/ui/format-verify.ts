import type { ListResult } from '../engine/list.ts';

/**
 * What `bench list --verify` found, for people: per run, how many of the resources its journal
 * shows alive still exist, and those that do (or could not be asked about).
 */
export function formatVerification(result: ListResult): string {
  const lines: string[] = [];
  for (const run of result.runs) {
    const v = run.verified;
    if (!v) continue;
    const exist = v.resources.filter((r) => r.exists === true);
    const unknown = v.resources.filter((r) => r.exists === null);
    const gone = v.resources.length - exist.length - unknown.length;
    lines.push(
      `${run.runId}: ${exist.length} of ${v.resources.length} still exist, ${gone} gone${unknown.length ? `, ${unknown.length} not known` : ''}${v.cloud.length ? `; ${v.cloud.length} tagged in the cloud` : ''}`,
    );
    for (const r of exist) lines.push(`  exists: ${r.kind} ${r.id}${r.why ? ` (${r.why})` : ''}`);
    for (const c of v.cloud) lines.push(`  tagged: ${c.kind} ${c.id} (${c.region})`);
    if (v.problem) lines.push(`  not known: ${v.problem}`);
    else for (const r of unknown) lines.push(`  not known: ${r.kind} ${r.id} (${r.why})`);
    if (exist.length + v.cloud.length === 0 && unknown.length === 0)
      lines.push(`  nothing is left; \`bench cleanup ${run.runId}\` clears the journal's records`);
    else lines.push(`  \`bench cleanup ${run.runId}\` removes what is left`);
  }
  if (lines.length === 0) return 'Verified: no run (other than running ones) has resources alive in its journal.';
  return ['Verified with the cluster and the cloud:', ...lines].join('\n');
}
