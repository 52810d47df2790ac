// Progressive enhancement only: every page works without this file.
// Leaderboard filters apply as soon as a select changes (the Show button still works).
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLSelectElement && target.form && target.form.matches(".filters[role=search]")) {
    target.form.requestSubmit();
  }
});
