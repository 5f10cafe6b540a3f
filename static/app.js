// The UI shell's entry module: shows whether the backend and its database are up.
// Data from the server is only ever written with textContent, never parsed as HTML.

const statusElement = document.getElementById("health-status");

/** Show a status line; `state` is "ok" or "error" (styles key off data-state). */
function showStatus(state, text) {
  statusElement.dataset.state = state;
  statusElement.textContent = text;
}

async function checkHealth() {
  try {
    const response = await fetch("/api/health", { headers: { Accept: "application/json" }, cache: "no-store" });
    const body = await response.json();
    if (response.ok && body.database === "ok") {
      showStatus("ok", `Database: ok · version ${body.version}`);
    } else {
      // A problem+json body: the title is safe to show (5xx details are opaque by design).
      showStatus("error", `Database: unavailable (${body.title ?? response.status})`);
    }
  } catch (error) {
    showStatus("error", `Database: unreachable (${error.message})`);
  }
}

checkHealth();
