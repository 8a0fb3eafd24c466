/**
 * Bar charts of the annual report, with Chart.js on a canvas: no inline styles, so they work
 * under the strict CSP, and a canvas prints. Imported lazily by the annual report page, so the
 * library is a chunk of its own that reporters never download.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface BarSeries {
  label: string;
  /** Null where the count is suppressed: no bar, so a hidden number cannot be read off its height. */
  values: Array<number | null>;
}

/** Draws a grouped bar chart into the canvas and returns a function that removes it. */
export function drawBars(canvas: HTMLCanvasElement, labels: string[], series: BarSeries[], options: { print: boolean }): () => void {
  const colours = ['#1d4e89', '#9aa7b4'];
  const chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: series.map((s, i) => ({ label: s.label, data: s.values, backgroundColor: colours[i % colours.length] ?? '#1d4e89' })),
    },
    options: {
      indexAxis: 'y',
      // Printing draws the canvas at its size; no animation to catch half-way.
      animation: options.print ? false : { duration: 200 },
      responsive: true,
      maintainAspectRatio: false,
      scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { display: series.length > 1, position: 'bottom' } },
    },
  });
  const beforePrint = () => chart.resize();
  window.addEventListener('beforeprint', beforePrint);
  return () => {
    window.removeEventListener('beforeprint', beforePrint);
    chart.destroy();
  };
}
