// The evaluation panel's progress: polls the run while it is queued or running, then loads the page again so
// the results appear (the publish form keeps nothing typed: the page only reloads when the run ends).
// With a GET of the page's address, not location.reload(): the page may be the answer to a POST (a publish the
// gate refused while the run was going), and reloading it would send that publish again without a click.
(function () {
  "use strict";
  var box = document.getElementById("evaluation-progress");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var count = box.querySelector(".hive-eval-count");
  function poll() {
    fetch(box.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (run) {
        if (!run) { window.setTimeout(poll, 5000); return; } // a 503 while the database is down: try again
        bar.max = Math.max(run.total, 1);
        bar.value = run.completed;
        count.textContent = run.completed + "/" + run.total;
        if (run.active) { window.setTimeout(poll, 1500); } else { window.location.replace(window.location.href.split("#")[0]); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
