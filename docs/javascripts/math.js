// Typeset the formulas that pymdownx.arithmatex (generic mode) leaves in the page:
// inline math as <span class="arithmatex">\(...\)</span>, display math as
// <div class="arithmatex">\[...\]</div>. KaTeX is vendored, so this works offline.
function typesetMath(root) {
  for (const el of root.querySelectorAll(".arithmatex")) {
    if (el.dataset.typeset) continue;
    const source = el.textContent.trim();
    const display = source.startsWith("\\[");
    katex.render(source.slice(2, -2), el, { displayMode: display, throwOnError: false });
    el.dataset.typeset = "1";
  }
}

// Material's document$ fires on the first load and after every instant navigation.
if (typeof document$ !== "undefined") {
  document$.subscribe(() => typesetMath(document.body));
} else {
  document.addEventListener("DOMContentLoaded", () => typesetMath(document.body));
}
