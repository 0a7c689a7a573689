// Single sign-on: the authorization code flow with PKCE (RFC 7636) as a public client against
// the providers the gateway names in /dashboard/config.json. Tokens live in this module's
// memory only — never in localStorage or sessionStorage; only the sign-in's one-time `state`
// and PKCE verifier wait in sessionStorage while the browser is at the provider. A refresh
// token (when the provider issues one) renews the access token before it expires; when it
// cannot, the session ends with "session expired — sign in again".

const PENDING = "qsmo-sign-in-pending";
const CONFIG_PATH = "/dashboard/config.json";
const RENEW_MARGIN_MS = 60000;

export class SessionExpired extends Error {}

/** The sign-in options the gateway serving this page offers; none if it names none. */
export async function loadConfig() {
  try {
    const response = await fetch(CONFIG_PATH, { cache: "no-cache" });
    if (!response.ok) return { signIn: [], apiKeys: true };
    return await response.json();
  } catch {
    return { signIn: [], apiKeys: true };
  }
}

/** Where the provider sends the browser back: this gateway's dashboard (registered there). */
export function redirectUri(location = window.location) {
  return new URL("/", location.href).href;
}

function randomText(bytes) {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return base64Url(values);
}

function base64Url(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

const discovered = new Map();

async function discovery(issuer) {
  if (!discovered.has(issuer)) {
    const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    discovered.set(issuer, fetch(url).then((response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return response.json();
    }).catch((error) => {
      discovered.delete(issuer);
      throw new Error(`The identity provider ${issuer} cannot be reached (${error.message}).`);
    }));
  }
  return discovered.get(issuer);
}

async function tokenRequest(endpoint, fields) {
  let response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(Object.entries(fields).filter(([, value]) => value)),
    });
  } catch {
    throw new Error("The identity provider's token endpoint cannot be reached.");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || !body.access_token) {
    throw new SessionExpired(body.error_description || body.error || `HTTP ${response.status}`);
  }
  return body;
}

/** Leave for the provider's sign-in page; the page comes back to `redirectUri()`. */
export async function startSignIn(option) {
  const meta = await discovery(option.issuer);
  const verifier = randomText(48);
  const state = randomText(16);
  sessionStorage.setItem(PENDING, JSON.stringify({
    state, verifier, provider: option.provider, back: window.location.href,
  }));
  const url = new URL(meta.authorization_endpoint);
  const query = {
    client_id: option.clientId, response_type: "code", redirect_uri: redirectUri(),
    scope: option.scope, state, code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
  };
  if (option.resource) query.resource = option.resource;
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  window.location.assign(url.href);
}

/**
 * On the way back from the provider: exchange the code for tokens and restore the address the
 * sign-in started from. Null when this page load is no such return.
 */
export async function finishSignIn(options) {
  const params = new URLSearchParams(window.location.search);
  if (!params.has("state") || !(params.has("code") || params.has("error"))) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  window.history.replaceState(null, "", pending ? pending.back : redirectUri());
  if (params.has("error")) {
    throw new Error(`The identity provider did not sign you in: ${
      params.get("error_description") || params.get("error")}.`);
  }
  const option = pending && options.find((o) => o.provider === pending.provider);
  if (!option || pending.state !== params.get("state")) {
    throw new Error("This sign-in answer does not belong to a sign-in started here; sign in again.");
  }
  const meta = await discovery(option.issuer);
  const tokens = await tokenRequest(meta.token_endpoint, {
    grant_type: "authorization_code", code: params.get("code"), redirect_uri: redirectUri(),
    client_id: option.clientId, code_verifier: pending.verifier, resource: option.resource,
  });
  return new TokenSession(option, meta, tokens);
}

/** A signed-in person's tokens, in memory; `credential()` is what the API calls send. */
export class TokenSession {
  constructor(option, meta, tokens) {
    this.option = option;
    this.meta = meta;
    this.renewals = 0;
    this.pending = null;
    this.apply(tokens);
  }

  apply(tokens) {
    const lifetimeMs = Math.max(1, Number(tokens.expires_in) || 300) * 1000;
    this.accessToken = tokens.access_token;
    this.refreshToken = tokens.refresh_token || this.refreshToken || null;
    this.expiresAt = Date.now() + lifetimeMs;
    this.marginMs = Math.min(RENEW_MARGIN_MS, lifetimeMs / 4);
  }

  /** The access token, renewed first when it is about to expire; SessionExpired if it cannot be. */
  credential = async () => {
    if (Date.now() < this.expiresAt - this.marginMs) return this.accessToken;
    return this.renew();
  };

  /** Renew with the refresh token (one request at a time); SessionExpired without one. */
  renew() {
    if (!this.refreshToken) return Promise.reject(new SessionExpired("no refresh token"));
    if (!this.pending) {
      this.pending = tokenRequest(this.meta.token_endpoint, {
        grant_type: "refresh_token", refresh_token: this.refreshToken,
        client_id: this.option.clientId, resource: this.option.resource,
      }).then((tokens) => {
        this.apply(tokens);
        this.renewals += 1;
        document.body.dataset.tokenRenewals = String(this.renewals);
        return this.accessToken;
      }, (error) => {
        this.forget();
        throw error instanceof SessionExpired ? error : new SessionExpired(error.message);
      }).finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  forget() {
    this.accessToken = null;
    this.refreshToken = null;
    this.expiresAt = 0;
  }
}
