// The Model page: while a retraining job runs, poll its status every few seconds (phase, elapsed time, the
// log's last lines) and reload the page when it ends, to show the candidate's figures.
(function () {
  "use strict";
  var job = document.getElementById("job");
  if (!job || job.dataset.running !== "1") return;
  var phase = document.getElementById("job-phase");
  var elapsed = document.getElementById("job-elapsed");
  var log = document.getElementById("job-log");
  function poll() {
    fetch("/model/status", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { return setTimeout(poll, 10000); }
        if (!status.running) { window.location.reload(); return; }
        phase.textContent = status.phase_label;
        phase.dataset.phase = status.phase;
        elapsed.textContent = status.elapsed;
        log.textContent = status.tail.join("\n");
        setTimeout(poll, 3000);
      })
      .catch(function () { setTimeout(poll, 10000); });
  }
  setTimeout(poll, 3000);
})();
