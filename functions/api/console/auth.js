// Sign-in: no token on the local stack (its default tenant), a pasted token, or the
// Cognito hosted UI (authorization code with PKCE). The token lives in sessionStorage only.

import { api, apiRoot, getToken, setToken } from "./api.js";
import { errorBlock, flash, h, render } from "./dom.js";

const PKCE_KEY = "jobsched.pkce";

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function redirectUri() {
  return location.origin + location.pathname;
}

async function loadConfig() {
  try {
    const response = await fetch(`${apiRoot}/console/config.json`, { cache: "no-store" });
    return response.ok ? await response.json() : { cognito: null };
  } catch {
    return { cognito: null };
  }
}

async function startCognito(cognito) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const url = new URL(`https://${cognito.domain}/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: cognito.client_id,
    redirect_uri: redirectUri(),
    scope: "openid",
    code_challenge_method: "S256",
    code_challenge: challenge,
    state,
  }).toString();
  location.assign(url.toString());
}

/** Back from the hosted UI with ?code=&state=: trade the code for a token, then drop the
 * code from the address bar. Returns true when a sign-in completed. */
export async function completeCognitoSignIn() {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  if (!code) return false;
  history.replaceState(null, "", redirectUri() + "#/schedules");
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? "null");
  sessionStorage.removeItem(PKCE_KEY);
  const { cognito } = await loadConfig();
  if (!saved || saved.state !== params.get("state") || !cognito) {
    flash("The sign-in answer did not match this browser's request; sign in again.", "error");
    return false;
  }
  const response = await fetch(`https://${cognito.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: cognito.client_id,
      code,
      redirect_uri: redirectUri(),
      code_verifier: saved.verifier,
    }),
  });
  if (!response.ok) {
    flash(`Cognito refused the sign-in (HTTP ${response.status}).`, "error");
    return false;
  }
  setToken((await response.json()).access_token);
  return true;
}

/** A short name for who the console acts as, for the header. */
export function identityLabel() {
  const token = getToken();
  if (!token) return "Tenant: default";
  const parts = token.split(".");
  if (parts.length === 3) {
    try {
      const claims = JSON.parse(atob(parts[1].replace(/-/g, "+").replace(/_/g, "/")));
      return `Signed in: ${claims.email ?? claims.username ?? claims.sub ?? "token"}`;
    } catch {
      return "Signed in: token";
    }
  }
  return `Tenant: ${token}`;
}

export async function signInPage(refreshHeader) {
  const [config, open] = await Promise.all([
    loadConfig(),
    api("GET", "/schedules", { query: { limit: 1 }, token: "" }).then(
      () => true,
      () => false,
    ),
  ]);
  const tokenInput = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "token-help",
  });
  const status = h("div", { "aria-live": "polite" });
  const submit = async (event) => {
    event.preventDefault();
    const token = tokenInput.value.trim();
    status.replaceChildren();
    try {
      await api("GET", "/schedules", { query: { limit: 1 }, token });
    } catch (err) {
      status.replaceChildren(errorBlock(err, "That identity was refused"));
      return;
    }
    setToken(token);
    refreshHeader();
    flash("Signed in.");
    location.hash = "#/schedules";
  };
  const signOut = () => {
    setToken("");
    refreshHeader();
    flash("Signed out.");
    signInPage(refreshHeader);
  };
  render(
    h("h1", {}, "Sign in"),
    h("p", {}, `Now: ${identityLabel()}.`),
    open
      ? h(
          "p",
          { class: "note" },
          "This API answers without a token (the local stack): you act as its default tenant. " +
            "To act as another tenant, enter its name below.",
        )
      : null,
    config.cognito
      ? h(
          "p",
          {},
          h("button", { type: "button", class: "btn primary", id: "cognito", onclick: () => startCognito(config.cognito) }, "Sign in with Cognito"),
        )
      : null,
    h(
      "form",
      { class: "form narrow", onsubmit: submit },
      h("label", { for: "token" }, open ? "Tenant name or access token" : "Access token (JWT)"),
      tokenInput,
      h(
        "p",
        { id: "token-help", class: "muted" },
        "Kept in this tab's session storage only, sent as Authorization: Bearer, never put in a URL.",
      ),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, "Use this identity"), getToken() ? h("button", { type: "button", class: "btn", onclick: signOut }, "Sign out") : null),
      status,
    ),
  );
  tokenInput.focus();
}
