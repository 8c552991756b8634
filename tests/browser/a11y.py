"""Accessibility gate for the browser tests: axe-core (vendored, see vendor/README.md) on the page as the user
sees it, plus the checks axe cannot make. `audit(page, name)` fails the test with every problem at once and
saves a screenshot under test-artifacts/pages/.

What is checked:
- axe-core, every rule it runs by default plus the WCAG 2.2 AA ones (target size): 0 violations, any impact;
- no attribute rendered as the text "None" (a Jinja `None` leaking into the markup);
- every visible control (link, button, field, summary) is at least 24 x 24 CSS px (WCAG 2.2, 2.5.8), except
  links inside a sentence, which the success criterion exempts;
- text marked as the hub's French content inside a page in another language carries `lang="fr"`
  (elements with `data-user-content`, whose text users wrote in French).

The script is evaluated through the DevTools protocol, so the page's Content-Security-Policy stays on."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.browser.conftest import ARTIFACTS

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
MIN_TARGET = 24  # CSS px, WCAG 2.2 success criterion 2.5.8

# Controls smaller than 24 px; inline links (inside running text) are exempt. Hidden ones are skipped.
_TARGETS_JS = """(min) => {
  const out = [];
  const inline = (el) => {
    if (el.tagName !== 'A') return false;
    const parent = el.parentElement;
    if (!parent) return false;
    const style = getComputedStyle(el);
    if (style.display !== 'inline') return false;
    const text = (parent.innerText || '').replace(el.innerText || '', '').trim();
    return text.length > 0;  // the link sits in a sentence
  };
  document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary').forEach((el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') return;
    if (el.closest('.skip-link')) return;
    let w = r.width, h = r.height;
    if (el.tagName === 'INPUT' && (el.type === 'checkbox' || el.type === 'radio')) {
      const label = el.labels && el.labels[0];
      if (label) { const lr = label.getBoundingClientRect(); w = Math.max(w, lr.width); h = Math.max(h, lr.height); }
    }
    if ((w < min || h < min) && !inline(el)) {
      out.push(`${el.tagName.toLowerCase()} "${(el.innerText || el.value || el.name || '').trim().slice(0, 40)}" ${Math.round(w)}x${Math.round(h)}`);
    }
  });
  return out;
}"""

_NONE_ATTRS_JS = """() => {
  const out = [];
  document.querySelectorAll('*').forEach((el) => {
    for (const a of el.attributes) {
      if (a.value === 'None') out.push(`<${el.tagName.toLowerCase()} ${a.name}="None">`);
    }
  });
  return out;
}"""

_LANG_JS = """() => {
  const page = (document.documentElement.lang || '').slice(0, 2);
  if (page === 'fr') return [];
  const out = [];
  document.querySelectorAll('[data-user-content]').forEach((el) => {
    const lang = (el.closest('[lang]') || document.documentElement).getAttribute('lang') || '';
    if (!lang.startsWith('fr')) out.push(`${el.tagName.toLowerCase()} "${el.innerText.trim().slice(0, 40)}"`);
  });
  return out;
}"""


def axe_violations(page) -> list[str]:
    """axe-core's violations on the current page, one line per rule with its first nodes."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    result = page.evaluate("(options) => axe.run(document, options)", AXE_OPTIONS)
    lines = []
    for v in result["violations"]:
        targets = ", ".join(json.dumps(n["target"]) for n in v["nodes"][:4])
        lines.append(f"axe {v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']} — {targets}")
    return lines


def problems(page, targets: bool = True) -> list[str]:
    """Every accessibility problem found on the current page (empty when it is clean)."""
    found = axe_violations(page)
    found += [f"attribute rendered as None: {x}" for x in page.evaluate(_NONE_ATTRS_JS)]
    if targets:
        found += [f"touch target under {MIN_TARGET} px: {x}" for x in page.evaluate(_TARGETS_JS, MIN_TARGET)]
    found += [f"French content without lang=fr: {x}" for x in page.evaluate(_LANG_JS)]
    return found


def audit(page, name: str, targets: bool = True) -> None:
    """Screenshot the page under test-artifacts/pages/ and fail on any accessibility problem."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    folder = ARTIFACTS / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    page.screenshot(path=str(folder / f"{slug}-{width}.png"), full_page=True)
    found = problems(page, targets=targets)
    assert not found, f"{name} ({page.url}, {width} px):\n" + "\n".join(found)
