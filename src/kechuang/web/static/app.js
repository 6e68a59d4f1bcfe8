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

// The 总览 prints on one A4 page: shrink it to the printable height (A4 less the 12 mm page margins).
(function () {
  window.addEventListener("beforeprint", function () {
    const el = document.querySelector(".overview-print");
    if (!el) return;
    el.style.zoom = "";
    const fit = (297 - 24) / 25.4 * 96 / el.scrollHeight;
    if (fit < 1) el.style.zoom = String(Math.floor(fit * 100) / 100);
  });
  window.addEventListener("afterprint", function () {
    const el = document.querySelector(".overview-print");
    if (el) el.style.zoom = "";
  });
})();

// Every table without an export of its own gets a button that downloads it, as shown, as .xlsx.
(function () {
  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"] || ""; }
    catch (e) { return ""; }
  }
  function text(cell) { return (cell.innerText || "").replace(/\s+/g, " ").trim(); }
  function title(table) {
    const h = document.querySelector("h1");
    return (table.getAttribute("data-title") || (h && h.innerText) || document.title || "表格").trim().slice(0, 60);
  }
  function exportTable(table) {
    const heads = Array.from(table.querySelectorAll("thead th"));
    const trs = Array.from(table.querySelectorAll("tbody tr")).filter(function (tr) {
      return !(tr.children.length === 1 && heads.length > 1);  // "没有记录" rows
    });
    // an untitled column of buttons (停用, 删除 …) is an action, not data
    const keep = heads.map(function (th, i) {
      if (text(th)) return true;
      return !trs.every(function (tr) {
        const td = tr.children[i];
        return !td || !text(td) || td.querySelector("form, button");
      });
    });
    function kept(cells) { return cells.filter(function (_, i) { return i >= keep.length || keep[i]; }); }
    const header = kept(heads.map(text));
    const rows = trs.map(function (tr) { return kept(Array.from(tr.children).map(text)); });
    const name = title(table);
    fetch("/export/table", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify({ title: name, header: header, rows: rows }),
    }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.blob();
    }).then(function (blob) {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name + ".xlsx";
      document.body.appendChild(a);
      a.click();
      a.remove();
    }).catch(function (e) { alert("导出失败：" + e.message); });
  }
  function addButtons(root) {
    (root || document).querySelectorAll("table").forEach(function (table) {
      if (table.dataset.exportReady || table.hasAttribute("data-no-export")) return;
      table.dataset.exportReady = "1";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link table-export no-print";
      button.textContent = "导出 Excel";
      button.addEventListener("click", function () { exportTable(table); });
      table.parentNode.insertBefore(button, table);
    });
  }
  window.addEventListener("load", function () { addButtons(document); });
  document.addEventListener("htmx:afterSwap", function (e) { addButtons(e.target); });
})();
