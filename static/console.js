// Behaviour of the console's shared layout (templates/base.html). No inline scripts: the
// Content-Security-Policy allows scripts from this site's static files only.
document.addEventListener("change", (event) => {
  // The region selector switches region as soon as one is chosen (the <noscript> button does it without JS).
  if (event.target.id === "region-select") {
    event.target.form.requestSubmit();
  }
});
