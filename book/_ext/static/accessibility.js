// Label in name (WCAG 2.5.3): a button with an aria-label is named by it alone. Its icons
// (Font Awesome SVGs titled "Light", "Dark"...) are decoration, and visible text that the
// label leaves out (the theme's "Search ... Ctrl+K") is added to it.
function nameButtons() {
  document.querySelectorAll("button[aria-label]").forEach(button => {
    button.querySelectorAll("svg").forEach(icon => {
      icon.setAttribute("aria-hidden", "true");
      icon.removeAttribute("aria-labelledby");
      icon.querySelectorAll("title").forEach(title => title.remove());
    });
    const label = button.getAttribute("aria-label");
    const text = button.innerText.replace(/\s+/g, " ").trim();
    if (text && !label.toLowerCase().includes(text.toLowerCase())) {
      button.setAttribute("aria-label", `${label}: ${text}`);
    }
  });
}
// A collapsed cell's toggle (myst-nb's <summary aria-label="Toggle hidden content">) says
// "Show code cell content" on screen: let what it shows be its name.
function nameToggles() {
  document.querySelectorAll("details > summary[aria-label]").forEach(summary => {
    if (summary.innerText.trim()) summary.removeAttribute("aria-label");
  });
}

window.addEventListener("load", () => {
  nameButtons();
  nameToggles();
  setTimeout(nameButtons, 200);
});
