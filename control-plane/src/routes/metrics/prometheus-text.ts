/**
 * Writes the Prometheus text exposition format (0.0.4): families with HELP and
 * TYPE, escaped label values, and histograms as cumulative `_bucket` series with
 * `_sum` and `_count`. Every number comes from Redis at scrape time, which is why
 * this is not prom-client: its metrics accumulate inside one process and start
 * from zero when it restarts, while these are the engine's totals.
 */
import { cumulativeBuckets, PROMETHEUS_BOUNDS_MS } from "./histograms.js";

export type Labels = Record<string, string>;
export type MetricType = "gauge" | "counter" | "histogram";

const escapeLabel = (value: string) =>
  value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

const formatLabels = (labels: Labels) => {
  const text = Object.entries(labels)
    .map(([key, value]) => `${key}="${escapeLabel(value)}"`)
    .join(",");
  return text ? `{${text}}` : "";
};

/** `le` values in seconds for the power-of-two millisecond bounds. */
const LE = PROMETHEUS_BOUNDS_MS.map((ms) => String(ms / 1000));

export class PrometheusText {
  private readonly lines: string[] = [];

  family(name: string, type: MetricType, help: string): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  }

  sample(name: string, labels: Labels, value: number): void {
    this.lines.push(`${name}${formatLabels(labels)} ${value}`);
  }

  /** One histogram series from engine buckets (upper bound in ms → count) and a sum in ms. */
  histogram(name: string, labels: Labels, buckets: Map<number, number>, sumMs: number): void {
    const { counts, total } = cumulativeBuckets(buckets);
    LE.forEach((le, i) => {
      this.sample(`${name}_bucket`, { ...labels, le }, counts[i] ?? 0);
    });
    this.sample(`${name}_bucket`, { ...labels, le: "+Inf" }, total);
    this.sample(`${name}_sum`, labels, sumMs / 1000);
    this.sample(`${name}_count`, labels, total);
  }

  toString(): string {
    return `${this.lines.join("\n")}\n`;
  }
}
