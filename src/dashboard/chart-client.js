// The overview's charts, drawn in the browser with Chart.js (served by Tend at
// /dashboard/assets/chart.umd.min.js). Served as a file so the Content-Security-Policy keeps
// script-src 'self'. It reads the chart specs the server embedded (<script type="application/json"
// id="overview-charts">, built by chart-specs.ts), draws each chart into its holder
// ([data-chart="<id>"]), then folds the table beside it: without script, the tables stay open.
(function () {
  "use strict";
  var source = document.getElementById("overview-charts");
  var Chart = window.Chart;
  if (!source || !Chart) return;
  var specs;
  try {
    specs = JSON.parse(source.textContent || "{}");
  } catch (error) {
    return;
  }

  // Okabe-Ito: told apart with the common colour-vision deficiencies.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  var FAILED = "#A50E0E";
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.color = "#1b1f24";
  Chart.defaults.animation = reduceMotion ? false : { duration: 300 };

  function tick(percent) {
    return function (value) {
      return percent ? value + "%" : value;
    };
  }

  function config(spec) {
    var valueAxis = spec.horizontal ? "x" : "y";
    var labelAxis = spec.horizontal ? "y" : "x";
    var datasets = spec.series.map(function (series, i) {
      var last = i === spec.series.length - 1 && spec.series.length > 2 && /failed|失败/i.test(series.name);
      var colour = last ? FAILED : PALETTE[i % PALETTE.length];
      var set = {
        label: series.name,
        data: series.values,
        backgroundColor: colour,
        borderColor: colour,
        spanGaps: true,
        pointRadius: 3,
        borderWidth: spec.type === "line" || series.line ? 2 : 0,
      };
      if (series.line) set.type = "line";
      if (series.right) set.yAxisID = "y2";
      return set;
    });
    var scales = {};
    scales[valueAxis] = { beginAtZero: spec.yMin === 0, stacked: Boolean(spec.stacked), ticks: { callback: tick(spec.percent), precision: 0 } };
    if (spec.yMin !== undefined) scales[valueAxis].min = spec.yMin;
    if (spec.yMax !== undefined) scales[valueAxis].max = spec.yMax;
    scales[labelAxis] = { stacked: Boolean(spec.stacked), ticks: { autoSkip: true, maxRotation: 60 } };
    if (spec.series.some(function (s) { return s.right; })) {
      scales.y2 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false } };
    }
    return {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        scales: scales,
        plugins: { legend: { display: spec.series.length > 1, position: "bottom" } },
      },
    };
  }

  var holders = document.querySelectorAll("[data-chart]");
  for (var i = 0; i < holders.length; i++) {
    var holder = holders[i];
    var spec = specs[holder.getAttribute("data-chart")];
    if (!spec || !spec.labels.length) continue;
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", holder.getAttribute("data-label") || "");
    holder.appendChild(canvas);
    // Bars of a horizontal chart need room each; the others share a fixed height.
    if (spec.horizontal) holder.style.height = Math.max(160, 40 + spec.labels.length * 34) + "px";
    holder.hidden = false;
    new Chart(canvas, config(spec));
    var table = holder.nextElementSibling;
    if (table && table.matches("details.as-table")) table.open = false;
  }
})();
