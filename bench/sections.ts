/**
 * bench/RESULTS.md is made of sections, one per benchmark, each between
 * `<!-- name:start -->` and `<!-- name:end -->`, so that each command rewrites
 * only its own (bench/run.ts for the benchmarks, scripts/size.ts for sizes).
 */

/** Replaces the section `name` of `doc`, or appends it. */
export function upsertSection(doc: string, name: string, body: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const section = `${start}\n${body.trim()}\n${end}`;
  const i = doc.indexOf(start);
  const j = doc.indexOf(end);
  if (i !== -1 && j > i) return doc.slice(0, i) + section + doc.slice(j + end.length);
  return `${doc.trimEnd()}\n\n${section}\n`;
}
