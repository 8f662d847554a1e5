// Draws each chart that the page's #charts JSON describes (render.go's chart
// type) on its canvas, #chart-<id>, with Chart.js.
(function () {
  'use strict';
  // Okabe-Ito's eight colours (distinguishable with the common colour
  // blindnesses) first, then Paul Tol's muted scheme, a brown and a grey: one
  // colour for each of GA4's 19 default channel groups.
  const palette = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#56B4E9', '#CC79A7', '#F0E442', '#000000',
    '#332288', '#88CCEE', '#44AA99', '#117733', '#999933', '#DDCC77', '#CC6677', '#882255', '#AA4499',
    '#661100', '#888888'];
  const percent = (v) => (100 * v).toFixed(1) + '%';
  const specs = JSON.parse(document.getElementById('charts').textContent) || [];
  for (const spec of specs) {
    const value = spec.horizontal ? 'x' : 'y';
    const category = spec.horizontal ? 'y' : 'x';
    const scales = {};
    scales[value] = { beginAtZero: true, stacked: spec.stacked };
    scales[category] = { stacked: spec.stacked, ticks: { autoSkip: !spec.horizontal } };
    if (spec.percent) {
      scales[value].ticks = { callback: percent };
    }
    new Chart(document.getElementById('chart-' + spec.id), {
      type: spec.type,
      data: {
        labels: spec.labels,
        datasets: spec.datasets.map((d, i) => ({
          label: d.label,
          data: d.data,
          backgroundColor: palette[i % palette.length],
          borderColor: palette[i % palette.length],
          borderWidth: spec.type === 'line' ? 2 : 0,
          pointRadius: spec.type === 'line' ? 2 : undefined,
          spanGaps: false,
        })),
      },
      options: {
        indexAxis: category,
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: scales,
        plugins: {
          legend: { display: spec.datasets.length > 1 },
          tooltip: spec.percent ? { callbacks: { label: (c) => c.dataset.label + ': ' + percent(c.parsed[value]) } } : {},
        },
      },
    });
  }
})();
