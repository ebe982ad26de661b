// A real OpenID Connect provider for the test suite: panva/oidc-provider (the certified Node.js
// implementation) on 127.0.0.1, with one static confidential client and a few test accounts whose
// claims include `groups`. Its built-in development interactions serve a real login form and a
// consent form, so a test signs in exactly as a person would.
//
//   node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
//
// Prints "READY <issuer>" on stdout once it listens. Test use only: the accounts accept any password.
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
if (!port || !clientId || !clientSecret || !redirectUri) {
  console.error("usage: node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI");
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;

// Test accounts: the login name is the account id. `groups` is what the app maps to roles/teams.
const ACCOUNTS = {
  "sso-caseworker": { name: "Sam Caseworker", email: "sam@example.test", groups: ["csi-caseworkers", "staff"] },
  "sso-manager": { name: "Mo Manager", email: "mo@example.test", groups: ["csi-service-managers"] },
  "sso-nogroups": { name: "Nia Nogroups", email: "nia@example.test", groups: ["staff"] },
  "sso-conflict": { name: "Cam Conflict", email: "cam@example.test", groups: ["csi-caseworkers", "csi-admins"] },
  "demo-leader": { name: "Local Name Clash", email: "clash@example.test", groups: ["csi-caseworkers"] },
};

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), use: "sig", alg: "RS256", kid: "test-key-1" };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
    id_token_signed_response_alg: "RS256",
  }],
  jwks: { keys: [signingKey] },
  cookies: { keys: ["test-only-cookie-key-not-a-secret"] },
  pkce: { methods: ["S256"], required: () => true },
  scopes: ["openid", "profile", "email", "groups"],
  claims: { openid: ["sub"], profile: ["name", "preferred_username"], email: ["email"], groups: ["groups"] },
  conformIdTokenClaims: false, // put the scopes' claims (groups included) in the ID token itself
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, ...account };
      },
    };
  },
});
provider.on("server_error", (_ctx, err) => console.error("server_error", err));

provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`READY ${issuer}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
