// The reports page's charts: each canvas names a table of the page's data (data-source)
// and the field to draw (data-field); amounts are minor units, shown in major units.
(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const money = new Set(["sold", "refunded", "net", "tax", "amount"]);
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const [, , rows] = data[canvas.dataset.source];
    const field = canvas.dataset.field;
    const scale = money.has(field) ? 100 : 1;
    new Chart(canvas, {
      type: canvas.dataset.chart,
      data: {
        labels: rows.map((row) => String(row.key)),
        datasets: [{label: field, data: rows.map((row) => row[field] / scale)}],
      },
      options: {animation: false, responsive: true, maintainAspectRatio: false,
                plugins: {legend: {display: canvas.dataset.chart === "doughnut"}}},
    });
  }
})();
