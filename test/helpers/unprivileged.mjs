// Runs a bin as an unprivileged user: `node unprivileged.mjs BIN ARGS...`. As root, permissions
// do not stop writes, so tests of "not writable" drop to nobody first (the Node binary and the
// modules it needs are loaded or readable by then); as any other user it runs the bin as is.
if (process.getuid?.() === 0) {
  process.setgid(65534);
  process.setuid(65534);
}
const bin = process.argv[2];
process.argv.splice(1, 2, bin);
await import(bin);
