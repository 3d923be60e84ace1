// Add and remove rows in Hive Portal's list widgets (instructions, tools, settings).
(function () {
  "use strict";
  function setup(root) {
    var list = root.querySelector(".hive-rows__list");
    var template = root.querySelector(".hive-rows__template");
    root.querySelector(".hive-rows__add").addEventListener("click", function () {
      var row = template.content.firstElementChild.cloneNode(true);
      list.appendChild(row);
      var first = row.querySelector("select, textarea, input");
      if (first) first.focus();
    });
    list.addEventListener("click", function (event) {
      if (event.target.classList.contains("hive-rows__remove")) {
        event.target.closest(".hive-rows__row").remove();
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".hive-rows").forEach(setup);
  });
})();
