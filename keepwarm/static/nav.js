// On a phone the menu folds behind one button so the page's own content comes first; a
// laptop shows it whole. Without this script the menu simply stays open everywhere.
(function () {
  const button = document.querySelector(".menu-button");
  const menu = document.getElementById("site-menu");
  if (!button || !menu) return;
  button.hidden = false;
  document.documentElement.classList.add("menu-folds");
  button.addEventListener("click", function () {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    menu.classList.toggle("open", open);
  });
  // One menu group open at a time, and a click elsewhere closes it.
  const groups = Array.from(document.querySelectorAll("details.nav-group"));
  document.addEventListener("click", function (event) {
    groups.forEach(function (group) {
      if (!group.contains(event.target)) group.open = false;
    });
  });
})();
