// The console's only door to data: the public HTTP API, with the user's identity.

const TOKEN_KEY = "jobsched.token";

/** The API's root: the console is served at <root>/console. */
export const apiRoot = location.pathname.replace(/\/console\/?$/, "");

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

export function setToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    const info = body?.error ?? {};
    super(info.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = info.code ?? `http_${status}`;
    this.details = info.details ?? null;
    const details = this.details;
    this.suggestion =
      details && typeof details === "object" && !Array.isArray(details) ? details.suggestion ?? null : null;
    if (Array.isArray(details) && details.length) {
      // Field errors: name the field so the message says what to fix.
      this.message = details.map((d) => `${(d.loc ?? []).filter((p) => p !== "body").join(".")}: ${d.msg}`).join("; ");
      this.suggestion = details.find((d) => typeof d?.suggestion === "string")?.suggestion ?? null;
    }
    // Where the API says the problem is (["endpoint"], ["filter", "event_types", 0]), so a
    // form can point at its field.
    this.fields = Array.isArray(details) ? details.map((d) => (d?.loc ?? []).filter((p) => p !== "body")) : [];
  }
}

/** fetch the API; JSON in and out; ApiError for any non-2xx answer. */
export async function api(method, path, { body, version, query, token, headers: extra } = {}) {
  const url = new URL(apiRoot + path, location.origin);
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, v);
  }
  const headers = { Accept: "application/json", ...(extra ?? {}) };
  const bearer = token ?? getToken();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (version !== undefined) headers["If-Match"] = `"${version}"`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, { error: { code: "network_error", message: `The API did not answer: ${err.message}` } });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}
