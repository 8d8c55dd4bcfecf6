// MathJax configuration for pymdownx.arithmatex (generic mode). Loaded before the vendored MathJax
// (javascripts/vendor/mathjax/tex-svg-full.js, see SOURCE.txt there): SVG output, so the site
// renders its formulas with no network access and no font files.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "ams"
  },
  svg: {
    fontCache: "global"
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex"
  }
};
document$.subscribe(() => {
  if (window.MathJax && MathJax.typesetPromise) { MathJax.typesetPromise(); }
});
