/**
 * One progress bar per job in the terminal. On a TTY the bars redraw in place; otherwise (CI,
 * a pipe) a line is printed whenever a job's note changes, so logs stay readable.
 */
type Row = { label: string; percent: number; note: string };

const WIDTH = 28;

export class ProgressBoard {
  private readonly rows: Row[];
  private readonly labelWidth: number;
  private drawn = 0;

  constructor(
    labels: string[],
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    this.rows = labels.map((label) => ({ label, percent: 0, note: "queued" }));
    this.labelWidth = Math.max(...labels.map((label) => label.length));
    this.rows.forEach((_, index) => this.render(index));
  }

  update(label: string, percent: number, note: string): void {
    const index = this.rows.findIndex((row) => row.label === label);
    const row = this.rows[index];
    if (!row) return;
    const changed = row.note !== note;
    row.percent = Math.max(row.percent, Math.min(100, percent));
    row.note = note;
    if (this.out.isTTY || changed) this.render(index);
  }

  private line(row: Row): string {
    const filled = Math.round((row.percent / 100) * WIDTH);
    return `  ${row.label.padEnd(this.labelWidth)}  [${"█".repeat(filled)}${"░".repeat(WIDTH - filled)}] ${String(Math.round(row.percent)).padStart(3)}%  ${row.note}`;
  }

  private render(index: number): void {
    if (!this.out.isTTY) {
      this.out.write(`${this.line(this.rows[index]!)}\n`);
      return;
    }
    if (this.drawn) this.out.write(`\x1b[${this.drawn}A`);
    for (const row of this.rows) this.out.write(`\x1b[2K${this.line(row)}\n`);
    this.drawn = this.rows.length;
  }
}
