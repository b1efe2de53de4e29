// The admin's small behaviours, in an external file: the Content Security
// Policy allows no inline script or handler. Loaded without `defer`, so that
// the first lines run before Django's nav_sidebar.js reads its setting.

// On a laptop's screen (1,366 px) the list of models beside every page leaves
// the tables too little room: closed until the user opens it (« remembers).
if (window.innerWidth < 1600 && localStorage.getItem("django.admin.navSidebarIsOpen") === null) {
  localStorage.setItem("django.admin.navSidebarIsOpen", "false");
}

// Diacritic-free, lower-case: "quang phu" finds "Xã Quảng Phú", "d" finds "đ".
function searchKey(text) {
  return text.replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .toLowerCase().replace(/\s+/g, " ").trim();
}

document.addEventListener("DOMContentLoaded", function () {
  // Export page: "select all" ticks or clears every column.
  document.querySelectorAll(".select-toggle").forEach(function (toggle) {
    toggle.addEventListener("change", function () {
      document.querySelectorAll('.selectable-field-export-row input[type="checkbox"]').forEach(function (box) {
        box.checked = toggle.checked;
      });
    });
  });

  // Long filters (communes, villages, agents): a search box over one select;
  // choosing an option opens the filtered list.
  document.querySelectorAll(".searchable-filter").forEach(function (filter) {
    var input = filter.querySelector("input[type=search]");
    var select = filter.querySelector("select");
    var options = Array.prototype.slice.call(select.options);
    var keys = options.map(function (option) { return searchKey(option.text); });
    input.addEventListener("input", function () {
      var wanted = searchKey(input.value);
      options.forEach(function (option, i) { option.hidden = wanted !== "" && keys[i].indexOf(wanted) === -1; });
    });
    input.addEventListener("keydown", function (event) {
      var first = options.find(function (option) { return !option.hidden; });
      if (event.key === "Enter" && first) {
        event.preventDefault();
        window.location.search = first.value;
      }
    });
    select.addEventListener("change", function () { window.location.search = select.value; });
  });
});
