// Labs pages (templates/labs/). No inline script: the Content-Security-Policy allows this site's files only.
document.addEventListener("click", (event) => {
  // Seat cards: the Print button.
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
