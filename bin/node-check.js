// Checked before anything is imported: on an older Node.js the dependencies fail with
// confusing errors (execa, listr2 and oclif need Node >= 22), so say what to do instead.
export function requireNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 13)) return;
  process.stderr.write(
    `Error: bench needs Node.js 22.13 or newer; this is ${process.version}.\n` +
      '  fix: run `bash scripts/setup.sh` and `source scripts/node-env.sh` (it provides Node 24), or install Node.js 22.13+\n',
  );
  process.exit(3);
}
