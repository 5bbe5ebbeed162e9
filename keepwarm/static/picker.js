// Searchable pickers (templates/_picker.html, people/pickers.py): an ARIA 1.2 combobox
// with a listbox popup. Typing asks the server for matches; choosing one fills the hidden
// id. Without this script the input is a plain text field the server looks up.
(function () {
  "use strict";
  if (window.keepwarmPickers) return; // the script tag comes with every picker
  window.keepwarmPickers = true;
  var counter = 0;

  function setUp(box) {
    var input = box.querySelector('input[type="text"]');
    var hidden = box.querySelector('input[type="hidden"]');
    var list = box.querySelector('[role="listbox"]');
    var form = box.closest("form");
    var timer = null;
    var active = -1;
    var asked = 0;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    function options() { return list.querySelectorAll('[role="option"]'); }
    function close() {
      list.hidden = true; active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (o, i) { o.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }
    function choose(option) {
      input.value = option.textContent;
      hidden.value = option.dataset.id;
      close();
      form && form.dispatchEvent(new CustomEvent("picker:chosen", { detail: { name: hidden.name } }));
    }
    function url(query) {
      var address = box.dataset.search;
      var params = new URLSearchParams({ q: query });
      var depends = box.dataset.dependsOn;
      if (depends && form) {
        var other = form.querySelector('input[type="hidden"][name="' + depends + '"]');
        if (other && other.value) params.set("company", other.value);
        else params.set("role", "client_contact");
      }
      return address + (address.indexOf("?") < 0 ? "?" : "&") + params.toString();
    }
    function show(results) {
      list.textContent = "";
      results.forEach(function (r) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.id = list.id + "_" + (++counter);
        li.dataset.id = r.id;
        li.textContent = r.label;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(li); });
        list.appendChild(li);
      });
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = "No matches";
        list.appendChild(none);
      }
      list.hidden = false; active = -1;
      input.setAttribute("aria-expanded", "true");
    }
    function search() {
      var query = input.value.trim();
      if (query.length < 2) { close(); return; }
      var ticket = ++asked;
      fetch(url(query), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (ticket === asked) show(data.results); })
        .catch(close);
    }
    input.addEventListener("input", function () {
      hidden.value = ""; // typed again: the server looks the text up unless one is chosen
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); if (list.hidden) search(); else highlight(active + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(active - 1); }
      else if (e.key === "Enter" && !list.hidden && active >= 0) { e.preventDefault(); choose(options()[active]); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", close);
    if (box.dataset.dependsOn && form) {
      // A new company: the hiring manager chosen for the old one may not work there.
      form.addEventListener("picker:chosen", function (e) {
        if (e.detail.name === box.dataset.dependsOn) { hidden.value = ""; input.value = ""; }
      });
    }
  }

  function start() { document.querySelectorAll("[data-picker][data-search]").forEach(setUp); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
