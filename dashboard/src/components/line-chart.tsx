/**
 * A line chart drawn by chart.js, which loads in its own chunk the first time a
 * chart is on screen (the initial bundle stays small). Data updates redraw the
 * same chart without animation, so polling does not make it flicker.
 */
import { createEffect, onCleanup, onMount } from "solid-js";

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
}

type ChartInstance = import("chart.js").Chart<"line", (number | null)[], string>;

let chartModule: Promise<typeof import("chart.js")> | null = null;
function loadChart() {
  chartModule ??= import("chart.js").then((module) => {
    module.Chart.register(
      module.LineController,
      module.LineElement,
      module.PointElement,
      module.LinearScale,
      module.CategoryScale,
      module.Legend,
      module.Tooltip,
      module.Filler,
    );
    return module;
  });
  return chartModule;
}

export function LineChart(props: { title: string; labels: string[]; series: Series[]; unit?: string }) {
  let canvas: HTMLCanvasElement | undefined;
  let chart: ChartInstance | undefined;
  let disposed = false;

  const datasets = () =>
    props.series.map((series) => ({
      label: series.label,
      data: series.values,
      borderColor: series.color,
      backgroundColor: series.color,
      borderWidth: 1.5,
      // Dots while points are few, so a lone value (e.g. the first minute of history) shows.
      pointRadius: props.labels.length > 120 ? 0 : 2,
      cubicInterpolationMode: "monotone" as const,
      spanGaps: true,
    }));

  onMount(async () => {
    const { Chart } = await loadChart();
    if (disposed || !canvas) return;
    const text = getComputedStyle(document.documentElement).getPropertyValue("--muted").trim() || "#888";
    chart = new Chart(canvas, {
      type: "line",
      data: { labels: props.labels, datasets: datasets() },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { ticks: { color: text, maxTicksLimit: 6, maxRotation: 0 }, grid: { display: false } },
          y: {
            beginAtZero: true,
            ticks: { color: text, maxTicksLimit: 5 },
            title: { display: Boolean(props.unit), text: props.unit ?? "", color: text },
          },
        },
        plugins: { legend: { labels: { color: text, boxWidth: 10 } } },
      },
    });
  });

  createEffect(() => {
    const labels = props.labels;
    const next = datasets();
    if (!chart) return;
    chart.data.labels = labels;
    chart.data.datasets = next;
    chart.update("none");
  });

  onCleanup(() => {
    disposed = true;
    chart?.destroy();
  });

  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div class="chart-canvas">
        <canvas ref={canvas} aria-label={props.title} role="img" />
      </div>
    </figure>
  );
}
