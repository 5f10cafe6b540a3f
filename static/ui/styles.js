// An area's own stylesheet, added to the page once, when the area first opens: a first visit
// loads only app.css. `useStyles` resolves when the sheet has loaded (or failed), so an area
// never shows unstyled.

const added = new Map();

/** Adds the stylesheet at `href` (once) and resolves when it has loaded. */
export function useStyles(href) {
  if (!added.has(href)) {
    added.set(
      href,
      new Promise((resolve) => {
        const link = document.createElement("link");
        link.rel = "stylesheet";
        link.href = href;
        link.addEventListener("load", resolve, { once: true });
        link.addEventListener("error", resolve, { once: true });
        document.head.append(link);
      }),
    );
  }
  return added.get(href);
}
