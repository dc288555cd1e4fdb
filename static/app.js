// Placeholder module for the "Drink Orders is running" page: names the requested view and
// asks the API whether the database is reachable. Text goes in with textContent only.

const view = document.getElementById("view");
const health = document.getElementById("health");

const params = new URLSearchParams(window.location.search);
const requested = params.has("bar") ? "bar queue" : params.has("qr") ? "QR poster" : null;
if (requested && view) {
  view.textContent = `You asked for the ${requested}; it is not built yet.`;
  view.hidden = false;
}

async function checkHealth() {
  if (!health) return;
  try {
    const response = await fetch("/api/health", { headers: { Accept: "application/json" } });
    health.dataset.state = response.ok ? "ok" : "down";
    health.textContent = response.ok
      ? "Server and database are up."
      : `The server answered ${response.status}; the database may not be ready yet.`;
  } catch {
    health.dataset.state = "down";
    health.textContent = "The server cannot be reached.";
  }
}

checkHealth();
