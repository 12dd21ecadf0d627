// A real OpenID Connect provider for kshare's single sign-on tests: panva's certified
// oidc-provider (installed by `make oidc` into .cache/oidc-provider), with a tiny configuration.
//
// Environment (set by kshare/people/tests/oidc/__init__.py):
//   OIDC_PROVIDER_MODULES  folder holding node_modules/oidc-provider
//   PORT, ISSUER           where it listens (loopback) and its issuer URL
//   REDIRECT_URI           kshare's callback
//   SIGNING_JWK            the private RSA key (JWK) it signs ID tokens with
//   ACCOUNTS               {"id": {email, email_verified, name, team, groups}, ...}
//
// Sign-in is a minimal form (/interaction/<uid>) where the test types an account id; there is
// no consent screen (the grant is made on the fly, as for a company's own applications).
// POST /__accounts/<id>/disable disables an account: its next sign-in is refused with
// access_denied, as a provider does for someone who left. POST /__wrong_state/on makes it send
// kshare back another state than the one kshare sent (off: the right one again).
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const modules = process.env.OIDC_PROVIDER_MODULES;
const { default: Provider, interactionPolicy } = await import(
  pathToFileURL(path.join(modules, 'node_modules', 'oidc-provider', 'lib', 'index.js')).href
);

const accounts = JSON.parse(process.env.ACCOUNTS);
const disabled = new Set();

// A disabled account needs to sign in again, so a silent re-check (prompt=none) of its
// session answers login_required, and the sign-in form answers access_denied.
const policy = interactionPolicy.base();
policy.get('login').checks.add(new interactionPolicy.Check(
  'account_disabled',
  'The account is disabled',
  (ctx) => (disabled.has(ctx.oidc.session.accountId)
    ? interactionPolicy.Check.REQUEST_PROMPT
    : interactionPolicy.Check.NO_NEED_TO_PROMPT),
));

const provider = new Provider(process.env.ISSUER, {
  clients: [
    {
      client_id: 'kshare',
      client_secret: 'kshare-test-secret',
      redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  pkce: { required: () => true },
  jwks: { keys: [JSON.parse(process.env.SIGNING_JWK)] },
  cookies: { keys: ['kshare-test-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'team', 'groups'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

function readBody(req) {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
  });
}

const page = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;

let wrongState = false;

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, process.env.ISSUER);
    const switchState = url.pathname.match(/^\/__wrong_state\/(on|off)$/);
    if (switchState && req.method === 'POST') {
      wrongState = switchState[1] === 'on';
      res.writeHead(204).end();
      return;
    }
    if (wrongState) {
      // Answer kshare with another state than the one it sent.
      const setHeader = res.setHeader.bind(res);
      res.setHeader = (name, value) => {
        if (name.toLowerCase() === 'location' && String(value).startsWith(process.env.REDIRECT_URI)) {
          return setHeader(name, String(value).replace('state=', 'state=wrong'));
        }
        return setHeader(name, value);
      };
    }
    const disable = url.pathname.match(/^\/__accounts\/([^/]+)\/disable$/);
    if (disable && req.method === 'POST') {
      disabled.add(disable[1]);
      res.writeHead(204).end();
      return;
    }
    if (url.pathname.startsWith('/interaction/')) {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page('Test identity provider', `<form method="post">
<label for="login">Account</label> <input id="login" name="login" autocomplete="off">
<button type="submit">Continue</button></form><p>${details.prompt.name}</p>`));
        return;
      }
      const login = (await readBody(req)).get('login');
      if (!accounts[login]) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page('Unknown account', '<p>No such account.</p>'));
        return;
      }
      const result = disabled.has(login)
        ? { error: 'access_denied', error_description: 'The account is disabled.' }
        : { login: { accountId: login } };
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
      return;
    }
    provider.callback()(req, res);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err));
  }
});

server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  process.stdout.write(`listening ${process.env.ISSUER}\n`);
});
