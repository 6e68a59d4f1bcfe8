// Initialise every ECharts container from its data-option JSON; re-run after htmx swaps.
(function () {
  const charts = new Set();
  function init(root) {
    if (!window.echarts) return;
    (root || document).querySelectorAll(".chart[data-option]").forEach(function (el) {
      if (el.dataset.ready) return;
      el.dataset.ready = "1";
      const chart = echarts.init(el, null, { renderer: "canvas" });
      const option = JSON.parse(el.dataset.option);
      if (option.__click) {
        chart.on("click", function (p) {
          const url = option.__click[p.name] || option.__click[p.seriesName + "|" + p.name];
          if (url) window.location.href = url;
        });
        delete option.__click;
      }
      chart.setOption(option);
      charts.add(chart);
    });
  }
  window.addEventListener("load", function () { init(document); });
  document.addEventListener("htmx:afterSwap", function (e) { init(e.target); });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
})();
