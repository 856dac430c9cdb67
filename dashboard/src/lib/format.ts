/**
 * Every number, time and size the dashboard prints goes through here, so the
 * pages agree: 1.2k/s, 3 m ago, 1.5 s, 48 MiB.
 */

const trim = (value: number, digits: number) => {
  const text = value.toFixed(digits);
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
};

/** 950 → "950", 1234 → "1.2k", 3_400_000 → "3.4M". */
export function formatCompact(value: number): string {
  const abs = Math.abs(value);
  if (abs < 1000) return trim(value, abs < 10 && !Number.isInteger(value) ? 1 : 0);
  if (abs < 1_000_000) return `${trim(value / 1000, abs < 10_000 ? 1 : 0)}k`;
  if (abs < 1_000_000_000) return `${trim(value / 1_000_000, abs < 10_000_000 ? 1 : 0)}M`;
  return `${trim(value / 1_000_000_000, 1)}G`;
}

/** Exact, with thousands separators: 1234567 → "1,234,567". */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/** Jobs per second: 0.5 → "0.5/s", 1234 → "1.2k/s". */
export function formatRate(perSecond: number): string {
  return `${formatCompact(perSecond)}/s`;
}

/** 850 → "850 ms", 1500 → "1.5 s", 200_000 → "3 m 20 s", 7_500_000 → "2 h 5 m". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const abs = Math.abs(ms);
  if (abs < 1000) return `${trim(ms, abs < 10 ? 1 : 0)} ms`;
  const seconds = ms / 1000;
  if (abs < 60_000) return `${trim(seconds, seconds < 10 ? 1 : 0)} s`;
  const total = Math.round(seconds);
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  if (days > 0) return hours ? `${days} d ${hours} h` : `${days} d`;
  if (hours > 0) return minutes ? `${hours} h ${minutes} m` : `${hours} h`;
  return rest ? `${minutes} m ${rest} s` : `${minutes} m`;
}

const toMs = (time: string | number | Date) =>
  typeof time === "number" ? time : typeof time === "string" ? Date.parse(time) : time.getTime();

/** "just now", "3 s ago", "5 m ago", "2 h ago", "4 d ago"; future times: "in 5 m". */
export function formatRelative(time: string | number | Date | null | undefined, now = Date.now()): string {
  if (time === null || time === undefined) return "—";
  const at = toMs(time);
  if (Number.isNaN(at)) return "—";
  const delta = now - at;
  const abs = Math.abs(delta);
  if (abs < 1000) return "just now";
  const unit =
    abs < 60_000
      ? `${Math.floor(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.floor(abs / 60_000)} m`
        : abs < 86_400_000
          ? `${Math.floor(abs / 3_600_000)} h`
          : `${Math.floor(abs / 86_400_000)} d`;
  return delta >= 0 ? `${unit} ago` : `in ${unit}`;
}

/** 512 → "512 B", 1536 → "1.5 KiB", 50_331_648 → "48 MiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${trim(value, unit === 0 || value >= 10 ? 0 : 1)} ${units[unit]}`;
}

/** A timestamp for tables and tooltips, in the viewer's time zone: "2026-12-01 21:04:05". */
export function formatTimestamp(time: string | number | null | undefined): string {
  if (time === null || time === undefined) return "—";
  const date = new Date(toMs(time));
  if (Number.isNaN(date.getTime())) return "—";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** 0.1234 → "12.3%". */
export function formatPercent(ratio: number): string {
  return `${trim(ratio * 100, ratio < 0.1 ? 1 : 0)}%`;
}
