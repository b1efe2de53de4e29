// Submit the admin's language choice at once (an external file: the Content
// Security Policy allows no inline script).
document.addEventListener("DOMContentLoaded", function () {
  var select = document.getElementById("language-switch");
  if (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
});
