// Hide follow-up questions until their trigger answer is given. Without this script
// every follow-up shows with its "If you answered ..." hint, and the server ignores
// answers to follow-ups whose condition does not hold.
(function () {
  "use strict";
  function chosen(form, name) {
    var values = [];
    var inputs = form.querySelectorAll('input[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].checked) { values.push(inputs[i].value); }
    }
    return values;
  }
  function update(form) {
    var followUps = form.querySelectorAll("[data-show-if]");
    for (var i = 0; i < followUps.length; i++) {
      var el = followUps[i];
      var wanted = (el.getAttribute("data-show-if-values") || "").split(",");
      var given = chosen(form, el.getAttribute("data-show-if"));
      var show = given.some(function (v) { return wanted.indexOf(v) !== -1; });
      el.hidden = !show;
    }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form.questionnaire");
    if (!form) { return; }
    form.classList.add("js");
    update(form);
    form.addEventListener("change", function () { update(form); });
    var errors = document.getElementById("form-errors");
    if (errors) { errors.focus(); }
  });
})();
