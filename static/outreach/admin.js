// The admin's small behaviours, in an external file: the Content Security
// Policy allows no inline script or handler.
document.addEventListener("DOMContentLoaded", function () {
  // Export page: "select all" ticks or clears every column.
  document.querySelectorAll(".select-toggle").forEach(function (toggle) {
    toggle.addEventListener("change", function () {
      document.querySelectorAll('.selectable-field-export-row input[type="checkbox"]').forEach(function (box) {
        box.checked = toggle.checked;
      });
    });
  });
});
