// The local OpenID provider of the QSMO platform: `oidc-provider` (npm, pinned in
// package-lock.json) with the development users of dev-users.json. Development and tests only:
// it listens on 127.0.0.1, its users share one documented password, and it keeps its signing
// keys in plain files under the stack's home. Started by deploy/local/qsmo_local/oidc_provider.py.
//
//   node server.mjs                 serve (QSMO_OIDC_PORT, QSMO_OIDC_HOME, QSMO_OIDC_REDIRECT_URIS,
//                                   QSMO_OIDC_ACCESS_TOKEN_TTL_S, QSMO_OIDC_REFRESH_TOKENS=0|1)
//   node server.mjs rotate-keys     put new signing keys first, keep the previous ones published
//
// Access tokens are JWTs (RS256) for the resource QSMO_OIDC_AUDIENCE (default urn:qsmo:api)
// carrying the person's `groups` and `name`; the platform maps `groups` to its roles.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import Provider from 'oidc-provider';

const HERE = dirname(fileURLToPath(import.meta.url));
const PORT = Number(process.env.QSMO_OIDC_PORT || 8010);
const HOME = process.env.QSMO_OIDC_HOME || join(HERE, '.state');
const ISSUER = process.env.QSMO_OIDC_ISSUER || `http://127.0.0.1:${PORT}`;
const AUDIENCE = process.env.QSMO_OIDC_AUDIENCE || 'urn:qsmo:api';
// A second resource, so tests can obtain a real token whose audience is not the platform's.
const OTHER_AUDIENCE = 'urn:qsmo:some-other-api';
const ACCESS_TOKEN_TTL_S = Number(process.env.QSMO_OIDC_ACCESS_TOKEN_TTL_S || 600);
const DASHBOARD_CLIENT = 'qsmo-dashboard';
// 0: no refresh tokens (tests of the dashboard's "session expired — sign in again").
const REFRESH_TOKENS = process.env.QSMO_OIDC_REFRESH_TOKENS !== '0';
const REDIRECT_URIS = (process.env.QSMO_OIDC_REDIRECT_URIS || 'http://127.0.0.1:8000/')
  .split(',').map((uri) => uri.trim()).filter(Boolean);
const KEYS_FILE = join(HOME, 'jwks.private.json');
const COOKIE_FILE = join(HOME, 'cookie-keys.json');
const USERS_FILE = process.env.QSMO_OIDC_USERS_FILE || join(HERE, 'dev-users.json');
const USERS = JSON.parse(readFileSync(USERS_FILE, 'utf8'));

function writePrivate(path, value) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

function newSigningKeys() {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '');
  const suffix = randomBytes(3).toString('hex');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  return [
    { ...rsa, kid: `rs256-${stamp}-${suffix}`, alg: 'RS256', use: 'sig' },
    { ...ec, kid: `es256-${stamp}-${suffix}`, alg: 'ES256', use: 'sig' },
  ];
}

function loadSigningKeys() {
  if (!existsSync(KEYS_FILE)) writePrivate(KEYS_FILE, { keys: newSigningKeys() });
  return JSON.parse(readFileSync(KEYS_FILE, 'utf8'));
}

function rotateSigningKeys() {
  // The newest pair signs (oidc-provider signs with the first key of an algorithm); the
  // previous pair stays published so tokens it signed verify until they expire.
  const current = loadSigningKeys().keys;
  const keys = [...newSigningKeys(), ...current.slice(0, 2)];
  writePrivate(KEYS_FILE, { keys });
  console.log(`signing keys now: ${keys.map((key) => key.kid).join(', ')}`);
}

function cookieKeys() {
  if (!existsSync(COOKIE_FILE)) writePrivate(COOKIE_FILE, [randomBytes(32).toString('base64url')]);
  return JSON.parse(readFileSync(COOKIE_FILE, 'utf8'));
}

const byUsername = new Map(USERS.users.map((user) => [user.username, user]));

function account(user) {
  return {
    accountId: user.username,
    async claims() {
      return { sub: user.username, name: user.name, groups: user.groups };
    },
  };
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function loginPage(uid, clientId, problem) {
  const warning = problem ? `<p role="alert" class="problem">${escapeHtml(problem)}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - QSMO development identity provider</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}
label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem;font-size:1rem}
button{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem}.problem{color:#a00}</style></head>
<body><h1>Sign in</h1>
<p>Development identity provider for <strong>${escapeHtml(clientId)}</strong>. Users: see
deploy/local/oidc/dev-users.json.</p>${warning}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label for="username">Username</label><input id="username" name="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button></form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}

// Grants for the first-party dashboard client are implicit: the person signed in, the
// platform asked for its own API (no consent screen, as with an agency's SSO for its own app).
async function loadExistingGrant(ctx) {
  const grantId = ctx.oidc.result?.consent?.grantId
    || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
  if (grantId) {
    const found = await ctx.oidc.provider.Grant.find(grantId);
    if (found) return found;
  }
  const grant = new ctx.oidc.provider.Grant({
    clientId: ctx.oidc.client.clientId,
    accountId: ctx.oidc.session.accountId,
  });
  grant.addOIDCScope('openid profile groups offline_access');
  grant.addOIDCClaims(['sub', 'name', 'groups']);
  grant.addResourceScope(AUDIENCE, 'qsmo');
  grant.addResourceScope(OTHER_AUDIENCE, 'qsmo');
  await grant.save();
  return grant;
}

const configuration = {
  clients: [
    {
      client_id: DASHBOARD_CLIENT,
      application_type: 'web',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: REDIRECT_URIS,
      post_logout_redirect_uris: REDIRECT_URIS,
    },
  ],
  jwks: loadSigningKeys(),
  cookies: { keys: cookieKeys() },
  claims: { openid: ['sub'], profile: ['name'], groups: ['groups'] },
  scopes: ['openid', 'profile', 'groups', 'offline_access'],
  findAccount: async (ctx, sub) => {
    const user = byUsername.get(sub);
    return user ? account(user) : undefined;
  },
  loadExistingGrant,
  // The dashboard renews its access token with a refresh token (kept in the page's memory);
  // without offline_access such a token lives only as long as the provider session (8 h).
  issueRefreshToken: async (ctx, client) => REFRESH_TOKENS && client.clientId === DASHBOARD_CLIENT
    && client.grantTypeAllowed('refresh_token'),
  extraTokenClaims: async (ctx, token) => {
    if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
    const user = byUsername.get(token.accountId);
    return user ? { groups: user.groups, name: user.name } : undefined;
  },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => AUDIENCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resourceIndicator) => {
        if (resourceIndicator !== AUDIENCE && resourceIndicator !== OTHER_AUDIENCE) {
          throw new Provider.errors.InvalidTarget(`unknown resource ${resourceIndicator}`);
        }
        return {
          scope: 'qsmo',
          audience: resourceIndicator,
          accessTokenTTL: ACCESS_TOKEN_TTL_S,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  ttl: { Session: 8 * 3600, Grant: 8 * 3600, Interaction: 600, AuthorizationCode: 60 },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Sign-in error</title><h1>${escapeHtml(out.error)}</h1>`
      + `<p>${escapeHtml(out.error_description || '')}</p>`;
  },
};

async function interaction(provider, req, res) {
  const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(new URL(req.url, ISSUER).pathname);
  if (!match) return send(res, 404, '<h1>Not found</h1>');
  const details = await provider.interactionDetails(req, res);
  const clientId = details.params.client_id;
  if (req.method === 'GET' && !match[2]) return send(res, 200, loginPage(details.uid, clientId));
  if (req.method !== 'POST' || !match[2]) return send(res, 405, '<h1>Method not allowed</h1>');
  const form = await readForm(req);
  const user = byUsername.get(form.get('username') || '');
  if (!user || form.get('password') !== USERS.password) {
    return send(res, 401, loginPage(details.uid, clientId, 'Unknown username or wrong password.'));
  }
  return provider.interactionFinished(req, res, { login: { accountId: user.username } }, {
    mergeWithLastSubmission: false,
  });
}

function serve() {
  const provider = new Provider(ISSUER, configuration);
  provider.on('server_error', (ctx, error) => console.error('server_error', error));
  const callback = provider.callback();
  const server = createServer((req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(provider, req, res).catch((error) => {
        console.error('interaction failed:', error.message);
        send(res, 400, `<h1>Sign-in failed</h1><p>${escapeHtml(error.message)}</p>`);
      });
      return;
    }
    callback(req, res);
  });
  server.listen(PORT, '127.0.0.1', () => {
    const kids = configuration.jwks.keys.map((key) => key.kid).join(', ');
    console.log(`QSMO development OpenID provider: issuer ${ISSUER}, audience ${AUDIENCE}, keys ${kids}`);
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
}

if (process.argv[2] === 'rotate-keys') rotateSigningKeys();
else if (process.argv[2] === undefined || process.argv[2] === 'serve') serve();
else {
  console.error(`unknown command ${process.argv[2]}: use serve (the default) or rotate-keys`);
  process.exit(2);
}
