/**
 * The soak's chart: four panels over time — Redis used_memory, RSS per process
 * (with the control plane's heap after GC and its memory outside the heap),
 * latencies (submit p99, worker event-loop delay p99, /healthz), throughput —
 * drawn as SVG by hand (no chart library needed for lines and axes) and rendered
 * to PNG with resvg, a small maintained Rust renderer shipped prebuilt on npm.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";

export interface SoakSample {
  /** Seconds since the load started. */
  t: number;
  submittedPerS: number;
  donePerS: number;
  submitP99Ms: number;
  redisUsedMemory: number;
  controlPlaneRss: number;
  /** V8 heap used after the last forced full collection (soak-probe.ts); 0 when not measured. */
  controlPlaneHeapAfterGc: number;
  /** Memory outside the V8 heap: Buffers, sockets. */
  controlPlaneExternal: number;
  /** Submissions sent and not yet answered when the sample was taken. */
  requestsInFlight: number;
  workerRss: number[];
  workerLagP99Ms: number;
  healthzMs: number;
}

interface Series {
  label: string;
  values: number[];
}

const WIDTH = 960;
const PANEL = 210;
const LEFT = 70;
const RIGHT = 190;
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563", "#ca8a04"];

const xmlText = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;");

function panel(top: number, title: string, unit: string, times: number[], series: Series[]): string {
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = PANEL - 60;
  const y0 = top + 30;
  const maxT = Math.max(1, ...times);
  const maxV = Math.max(1e-9, ...series.flatMap((s) => s.values)) * 1.1;
  const x = (t: number) => LEFT + (t / maxT) * plotW;
  const y = (v: number) => y0 + plotH - (v / maxV) * plotH;
  const parts = [
    `<text x="${LEFT}" y="${top + 18}" font-size="14" font-weight="bold">${xmlText(title)}</text>`,
    `<rect x="${LEFT}" y="${y0}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const value = (maxV * i) / 4;
    parts.push(
      `<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${y(value)}" y2="${y(value)}" stroke="#eee"/>`,
      `<text x="${LEFT - 6}" y="${y(value) + 4}" font-size="11" text-anchor="end">${value.toFixed(value >= 10 ? 0 : 1)}</text>`,
    );
    const t = (maxT * i) / 4;
    parts.push(
      `<text x="${x(t)}" y="${y0 + plotH + 16}" font-size="11" text-anchor="middle">${Math.round(t)} s</text>`,
    );
  }
  parts.push(
    `<text x="14" y="${y0 + plotH / 2}" font-size="11" transform="rotate(-90 14 ${y0 + plotH / 2})" text-anchor="middle">${xmlText(unit)}</text>`,
  );
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const points = s.values.map((v, j) => `${x(times[j] ?? 0).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="1.6" points="${points}"/>`,
      `<rect x="${LEFT + plotW + 14}" y="${y0 + i * 18}" width="12" height="3" fill="${color}"/>`,
      `<text x="${LEFT + plotW + 32}" y="${y0 + i * 18 + 5}" font-size="11">${xmlText(s.label)}</text>`,
    );
  });
  return parts.join("\n");
}

export function soakSvg(samples: SoakSample[], verdict: string[]): string {
  const times = samples.map((s) => s.t);
  const mbOf = (values: number[]) => values.map((v) => v / 1e6);
  const workers = samples[0]?.workerRss.length ?? 0;
  const panels = [
    panel(0, "Redis used_memory", "MB", times, [
      { label: "used_memory", values: mbOf(samples.map((s) => s.redisUsedMemory)) },
    ]),
    panel(PANEL, "Resident memory per process", "MB", times, [
      { label: "control plane", values: mbOf(samples.map((s) => s.controlPlaneRss)) },
      { label: "its heap after GC", values: mbOf(samples.map((s) => s.controlPlaneHeapAfterGc)) },
      { label: "its external", values: mbOf(samples.map((s) => s.controlPlaneExternal)) },
      ...Array.from({ length: workers }, (_, i) => ({
        label: `worker ${i + 1}`,
        values: mbOf(samples.map((s) => s.workerRss[i] ?? 0)),
      })),
    ]),
    panel(PANEL * 2, "Latency", "ms", times, [
      { label: "submit p99", values: samples.map((s) => s.submitP99Ms) },
      { label: "worker loop delay p99", values: samples.map((s) => s.workerLagP99Ms) },
      { label: "/healthz", values: samples.map((s) => s.healthzMs) },
    ]),
    panel(PANEL * 3, "Throughput", "jobs/s", times, [
      { label: "submitted", values: samples.map((s) => s.submittedPerS) },
      { label: "finished", values: samples.map((s) => s.donePerS) },
    ]),
  ];
  const height = PANEL * 4 + 20 + verdict.length * 16;
  const lines = verdict.map(
    (line, i) => `<text x="${LEFT}" y="${PANEL * 4 + 14 + i * 16}" font-size="12">${xmlText(line)}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="DejaVu Sans, sans-serif">
<title>Soak: Redis memory, RSS per process, latencies and throughput over time</title>
<rect width="100%" height="100%" fill="white"/>
${panels.join("\n")}
${lines.join("\n")}
</svg>
`;
}

/** Writes <name>.svg and <name>.png (default soak.*); returns their paths. */
export async function writeSoakChart(
  samples: SoakSample[],
  checks: { name: string; ok: boolean; detail: string }[],
  outDir: string,
  name = "soak",
): Promise<string[]> {
  const verdict = checks.map((check) => `${check.ok ? "PASS" : "FAIL"} ${check.name}: ${check.detail}`);
  const svg = soakSvg(samples, verdict);
  const svgPath = join(outDir, `${name}.svg`);
  const pngPath = join(outDir, `${name}.png`);
  writeFileSync(svgPath, svg);
  const png = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" } }).render();
  writeFileSync(pngPath, png.asPng());
  return [svgPath, pngPath];
}
