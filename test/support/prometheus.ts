// Reads Prometheus's text format with a real parser (parse-prometheus-text-format, a port of the
// Prometheus Python client's parser), never a regex, so a test sees what Prometheus would.
import { createRequire } from 'node:module';

/** One sample line set, as the parser returns it (values are text, as in the format). */
export interface Sample {
  labels?: Record<string, string>;
  value?: string;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}

/** One metric family: `# HELP`, `# TYPE` and its samples. */
export interface Family {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: Sample[];
}

const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

/**
 * A scrape, by family name. The parser supports histograms without labels only (it flattens the
 * series of a labeled one into one sample, losing their labels), so a histogram is also read as
 * its component series, as Prometheus stores them: `<name>_bucket{...,le}`, `<name>_sum{...}`,
 * `<name>_count{...}`, each a family of the map, by the same parser with the histogram's `# TYPE`
 * line left out.
 */
export function parseScrape(text: string): Map<string, Family> {
  const families = new Map(parse(text).map((f) => [f.name, f]));
  const histograms = [...families.values()].filter((f) => f.type === 'HISTOGRAM').map((f) => f.name);
  if (histograms.length > 0) {
    const untyped = text
      .split('\n')
      .filter((line) => !histograms.some((h) => line === `# TYPE ${h} histogram`))
      .join('\n');
    // Each label set's `_bucket`, `_sum`, `_count` lines come in turn: merge the runs of a name.
    for (const f of parse(untyped)) {
      if (!histograms.some((h) => f.name.startsWith(`${h}_`))) continue;
      const seen = families.get(f.name);
      if (seen) seen.metrics.push(...f.metrics);
      else families.set(f.name, f);
    }
  }
  return families;
}

/** The samples of `name` whose labels include `labels`. */
export function samples(scrape: Map<string, Family>, name: string, labels: Record<string, string> = {}): Sample[] {
  const family = scrape.get(name);
  if (!family) return [];
  return family.metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
}

/** The value of the one sample of `name` whose labels include `labels`, or undefined. */
export function valueOf(scrape: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples(scrape, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  const s = found[0];
  if (!s) return undefined;
  return Number(s.value);
}
