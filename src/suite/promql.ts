import { parser } from '@prometheus-io/lezer-promql';

/** Where a PromQL expression stops parsing, and the text around that point. */
export interface PromqlSyntaxError {
  /** 0-based offset of the first character the parser could not place. */
  offset: number;
  /** The expression with a marker at the offset, for messages. */
  marked: string;
}

/**
 * Parses PromQL with Prometheus's own grammar (the Lezer grammar the Prometheus UI uses) and
 * returns the first syntax error, or undefined when the expression parses. A query that does
 * not parse would otherwise be found only when the run collects, after the load ran and was paid.
 */
export function promqlSyntaxError(query: string): PromqlSyntaxError | undefined {
  const tree = parser.parse(query);
  let offset: number | undefined;
  tree.iterate({
    enter(node) {
      if (offset !== undefined) return false;
      if (node.type.isError) offset = node.from;
      return undefined;
    },
  });
  if (offset === undefined) return undefined;
  return { offset, marked: `${query.slice(0, offset)} <here> ${query.slice(offset)}`.trim() };
}
