// "Expand all" / "Collapse all" on the typification tree page (a file, not inline: the CSP forbids inline scripts).
document.querySelectorAll("[data-tree]").forEach(function (button) {
  button.addEventListener("click", function () {
    var open = button.dataset.tree === "open";
    document.querySelectorAll("#typification-tree details").forEach(function (d) { d.open = open; });
  });
});
