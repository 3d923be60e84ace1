// Forms with data-confirm="question" ask before submitting (instead of inline onsubmit, which the CSP forbids).
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
