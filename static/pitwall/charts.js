/* Pitwall charts: draws every <canvas data-chart="ID"> from the JSON spec in <script id="ID"> (json_script).
 *
 * The page already holds a server-rendered table with the same numbers; this only adds the picture. Series are
 * told apart by dash pattern and point style (bars: by fill pattern), not by colour alone. No inline handlers, no
 * eval: works under a strict Content-Security-Policy. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  var Chart = window.Chart;

  // Okabe-Ito colours (colour-blind safe), each with its own dash and point style.
  var STYLES = [
    { color: "#0072B2", dash: [], point: "circle", pattern: "solid" },
    { color: "#D55E00", dash: [8, 4], point: "triangle", pattern: "diagonal" },
    { color: "#009E73", dash: [2, 3], point: "rectRot", pattern: "dots" },
    { color: "#CC79A7", dash: [12, 3, 2, 3], point: "rect", pattern: "cross" },
    { color: "#E69F00", dash: [4, 4], point: "star", pattern: "vertical" },
    { color: "#56B4E9", dash: [1, 2], point: "crossRot", pattern: "horizontal" }
  ];

  function fillPattern(style) {
    if (style.pattern === "solid") {
      return style.color;
    }
    var size = 8;
    var tile = document.createElement("canvas");
    tile.width = size;
    tile.height = size;
    var ctx = tile.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = style.color;
    ctx.fillStyle = style.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    if (style.pattern === "diagonal") {
      ctx.moveTo(0, size); ctx.lineTo(size, 0);
      ctx.moveTo(-2, 2); ctx.lineTo(2, -2);
      ctx.moveTo(size - 2, size + 2); ctx.lineTo(size + 2, size - 2);
    } else if (style.pattern === "cross") {
      ctx.moveTo(0, 0); ctx.lineTo(size, size);
      ctx.moveTo(0, size); ctx.lineTo(size, 0);
    } else if (style.pattern === "vertical") {
      ctx.moveTo(size / 2, 0); ctx.lineTo(size / 2, size);
    } else if (style.pattern === "horizontal") {
      ctx.moveTo(0, size / 2); ctx.lineTo(size, size / 2);
    } else {
      ctx.arc(size / 2, size / 2, 1.8, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.stroke();
    return ctx.createPattern(tile, "repeat");
  }

  function formatter(unit) {
    if (unit === "%") {
      return function (value) { return (value * 100).toFixed(0) + " %"; };
    }
    if (unit === "s") {
      return function (value) {
        var number = Number(value);
        return (Math.abs(number) >= 10 ? number.toFixed(0) : number.toFixed(1)) + " s";
      };
    }
    return function (value) { return Number(value).toFixed(2); };
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var format = formatter(spec.unit);
    var bar = spec.kind === "bar";
    var datasets = spec.series.map(function (series, index) {
      var style = STYLES[index % STYLES.length];
      return {
        label: series.label,
        data: series.values,
        borderColor: style.color,
        backgroundColor: bar ? fillPattern(style) : style.color,
        borderWidth: 2,
        borderDash: bar ? [] : style.dash,
        pointStyle: style.point,
        pointRadius: bar ? 0 : 4,
        pointHoverRadius: 6,
        spanGaps: false,
        fill: false
      };
    });
    var scaleY = {
      title: { display: !!spec.y_title, text: spec.y_title },
      ticks: { callback: format },
      beginAtZero: true
    };
    if (spec.y_min !== null) { scaleY.min = spec.y_min; }
    if (spec.y_max !== null) { scaleY.max = spec.y_max; }
    // Shown before drawing, so Chart.js measures the real box (without JavaScript the box takes no room).
    var figure = canvas.closest("figure");
    if (figure) { figure.classList.add("chart-drawn"); }
    canvas.hidden = false;
    new Chart(canvas, {
      type: bar ? "bar" : "line",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { title: { display: !!spec.x_title, text: spec.x_title } },
          y: scaleY
        },
        plugins: {
          legend: { labels: { usePointStyle: !bar } },
          tooltip: {
            usePointStyle: true,
            callbacks: {
              label: function (item) {
                var value = item.raw === null ? "insufficient data" : format(item.raw);
                return item.dataset.label + ": " + value;
              }
            }
          }
        }
      }
    });
    canvas.setAttribute("data-drawn", "true");
    var table = figure ? figure.querySelector("details.chart-table") : null;
    if (table) {
      table.open = false;
    }
  }

  function drawAll() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      try {
        draw(canvas);
      } catch (error) {
        // The table stays open: the page is still complete without the picture.
        canvas.hidden = true;
        var box = canvas.closest("figure");
        if (box) { box.classList.remove("chart-drawn"); }
        if (window.console) { window.console.error("pitwall chart", error); }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
