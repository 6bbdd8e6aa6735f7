/** A flag's value as Go's flag package reads `--name=value` or `-name=value` (the last one wins). */
export function stringArg(args: string[], name: string): string | undefined {
  let value: string | undefined;
  for (const a of args) {
    for (const prefix of [`--${name}=`, `-${name}=`]) if (a.startsWith(prefix)) value = a.slice(prefix.length);
  }
  return value;
}

/** A numeric flag's value (see {@link stringArg}); undefined when absent or not a finite number. */
export function numberArg(args: string[], name: string): number | undefined {
  const s = stringArg(args, name);
  const v = s === undefined ? NaN : Number(s);
  return Number.isFinite(v) ? v : undefined;
}
