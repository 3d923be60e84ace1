/* Draws every <canvas data-chart="ID"> from the JSON config in <script id="ID" type="application/json">.
   The configs are built server-side (monitoring/charts.py); this file only adds number formatting. */
(function () {
  "use strict";
  function formatter(kind) {
    if (kind === "percent") return function (v) { return (v * 100).toFixed(1) + "%"; };
    if (kind === "ms") return function (v) { return Math.round(v).toLocaleString() + " ms"; };
    return function (v) { return Number(v).toLocaleString(); };
  }
  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var format = formatter(spec.format);
    var config = {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        spanGaps: true,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: spec.datasets.length > 1 },
          title: { display: !!spec.title, text: spec.title },
          tooltip: { callbacks: { label: function (ctx) {
            var v = ctx.parsed.y !== undefined ? ctx.parsed.y : ctx.parsed;
            return (ctx.dataset.label ? ctx.dataset.label + ": " : "") + (v === null ? "–" : format(v));
          } } }
        },
        scales: {
          x: { stacked: !!spec.stacked },
          y: { stacked: !!spec.stacked, beginAtZero: true, ticks: { callback: format },
               max: spec.format === "percent" ? 1 : undefined }
        }
      }
    };
    new Chart(canvas, config);
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof Chart !== "undefined") { Chart.defaults.color = getComputedStyle(document.body).color; }
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
  });
})();
