(() => {
  "use strict";
  const params = new URLSearchParams(location.search);
  const newId = () => {
    if (crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  };
  const fill = () => {
    for (const input of document.querySelectorAll("input[data-fill]")) {
      const from = input.getAttribute("data-fill");
      if (from === "href") input.value = location.href;
      else if (from === "referrer") input.value = document.referrer;
      else if (from === "id") input.value = newId();
      else if (params.has(input.name)) input.value = params.get(input.name);
    }
    for (const button of document.querySelectorAll("form button[type=submit]")) button.disabled = false;
  };
  fill();
  addEventListener("pageshow", (event) => { if (event.persisted) fill(); });
  for (const form of document.querySelectorAll("form")) {
    form.addEventListener("submit", () => {
      const button = form.querySelector("button[type=submit]");
      if (button) setTimeout(() => { button.disabled = true; }, 0);
    });
  }
})();
