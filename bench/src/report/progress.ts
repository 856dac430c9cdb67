/**
 * The progress line while a scenario runs, on stderr so `--json` output stays
 * clean: rewritten in place on a terminal, one line per step otherwise.
 */
export class Progress {
  private last = "";
  private readonly tty = Boolean(process.stderr.isTTY);

  /** A new step (scenario, system, round): always shown. */
  step(text: string): void {
    this.write(text, true);
  }

  /** A count inside the step: shown in place on a terminal only. */
  update(text: string): void {
    if (this.tty) this.write(text, false);
  }

  done(): void {
    if (this.tty && this.last) process.stderr.write("\r\x1b[2K");
    this.last = "";
  }

  private write(text: string, always: boolean): void {
    if (this.tty) process.stderr.write(`\r\x1b[2K${text.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    else if (always) process.stderr.write(`${text}\n`);
    this.last = text;
  }
}
