// Progressive enhancement of the catalogue's order form: show a field only while its conditions hold.
// Without this script every field is shown and the server refuses answers the conditions hide.
(function () {
  "use strict";
  var form = document.querySelector("form[data-order-form]");
  if (!form) { return; }
  var wrappers = Array.prototype.slice.call(form.querySelectorAll("[data-show-when]"));

  function value(name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    if (!inputs.length) { return null; }
    var first = inputs[0];
    if (first.type === "checkbox" && inputs.length === 1 && first.value === "on") { return first.checked; }
    if (first.type === "checkbox") {
      return Array.prototype.filter.call(inputs, function (i) { return i.checked; }).map(function (i) { return i.value; });
    }
    if (first.disabled || first.value === "") { return null; }
    if (first.type === "number") { return Number(first.value); }
    return first.value;
  }

  function isSet(v) { return !(v === null || v === false || v === "" || (Array.isArray(v) && v.length === 0)); }

  function holds(c) {
    var v = value(c.variable);
    if (c.op === "is_set") { return isSet(v); }
    if (c.op === "eq") { return v !== null && v === c.value; }
    if (c.op === "ne") { return !(v !== null && v === c.value); }
    if (c.op === "in") {
      if (Array.isArray(v)) { return v.some(function (x) { return c.value.indexOf(x) !== -1; }); }
      return v !== null && c.value.indexOf(v) !== -1;
    }
    return false;
  }

  function update() {
    // Twice: a field shown by another conditional field follows it in the same pass.
    for (var pass = 0; pass < 2; pass++) {
      wrappers.forEach(function (wrapper) {
        var shown = JSON.parse(wrapper.getAttribute("data-show-when")).every(holds);
        wrapper.hidden = !shown;
        Array.prototype.forEach.call(wrapper.querySelectorAll("input, select, textarea"), function (input) {
          input.disabled = !shown;  // a hidden field's answer is not sent
        });
      });
    }
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
}());
