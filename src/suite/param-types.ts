import ipaddr from 'ipaddr.js';

/**
 * The types a suite parameter can declare (`type:` under `params`). Without one, the default's
 * own type applies (a number, true/false, or text); `cidr` is text that must be a CIDR block,
 * e.g. an allow-list entry such as Grafana's `loadBalancerSourceRanges`.
 */
export const PARAM_TYPES = ['string', 'number', 'boolean', 'cidr'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

/** What a parameter declares about its values. */
export interface ParamTypeSpec {
  type?: ParamType;
  default: string | number | boolean;
  integer?: boolean;
  min?: number;
  max?: number;
}

/** The declared type, or the one the default implies. */
export function paramTypeOf(spec: ParamTypeSpec): ParamType {
  if (spec.type) return spec.type;
  if (typeof spec.default === 'boolean') return 'boolean';
  if (typeof spec.default === 'number') return 'number';
  return 'string';
}

/** A value checked against its declaration: the typed value, or what is wrong and how to write it. */
export type ParamCheck = { ok: true; value: string | number | boolean } | { ok: false; problem: string; fix: string };

/**
 * Types and checks one value of a parameter. `raw` is a string from the command line or a value
 * from suite.yaml (already typed by YAML).
 */
export function checkParamValue(spec: ParamTypeSpec, raw: string | number | boolean): ParamCheck {
  const type = paramTypeOf(spec);
  const text = String(raw);
  switch (type) {
    case 'boolean':
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (text === 'true' || text === 'false') return { ok: true, value: text === 'true' };
      return { ok: false, problem: 'expected true or false', fix: 'write true or false' };
    case 'number': {
      const value = typeof raw === 'number' ? raw : Number(text);
      if (typeof raw === 'boolean' || text.trim() === '' || !Number.isFinite(value))
        return { ok: false, problem: 'expected a number', fix: `write a number, e.g. ${String(spec.default)}` };
      if (spec.integer && !Number.isInteger(value))
        return {
          ok: false,
          problem: 'expected a whole number',
          fix: `write a whole number, e.g. ${String(spec.default)}`,
        };
      if (spec.min !== undefined && value < spec.min)
        return { ok: false, problem: `must be at least ${spec.min}`, fix: `choose a value of ${spec.min} or more` };
      if (spec.max !== undefined && value > spec.max)
        return { ok: false, problem: `must be at most ${spec.max}`, fix: `choose a value of ${spec.max} or less` };
      return { ok: true, value };
    }
    case 'cidr': {
      const problem = cidrProblem(text);
      return problem === undefined
        ? { ok: true, value: text }
        : { ok: false, problem, fix: 'write an IPv4 or IPv6 CIDR block, e.g. 203.0.113.7/32 or 2001:db8::/64' };
    }
    case 'string':
      return { ok: true, value: typeof raw === 'string' ? raw : text };
  }
}

/**
 * Why a text is not a CIDR block as AWS security groups and Kubernetes' source ranges take it
 * (address and prefix length, host bits zero), or undefined when it is one.
 */
export function cidrProblem(text: string): string | undefined {
  let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    return 'expected a CIDR block (address/prefix length)';
  }
  const [address, bits] = parsed;
  // ipaddr.js also reads forms such as 10.1/16 or 0x0a.0.0.0/8 that AWS refuses: only the
  // dotted-quad form of IPv4 is accepted.
  const [given = ''] = text.split('/');
  if (address.kind() === 'ipv4' && !ipaddr.IPv4.isValidFourPartDecimal(given))
    return 'expected a CIDR block with a four-part IPv4 address';
  const network =
    address.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
  if (network.toString() !== address.toString())
    return `host bits are set: the block's address is ${network.toString()}/${bits}`;
  return undefined;
}
