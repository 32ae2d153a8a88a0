import { generateSigningKey } from '../authz/index.js';
import type { DevIssuer } from './issuer.js';

/** Where the broker of a dev server whose public URL is `resource` receives the dev issuer's sign-ins. */
export function brokerCallback(resource: string): string {
  return `${new URL(resource).origin}/oauth/callback`;
}

/** The broker settings every dev instance shares: the issuer's broker client and one signing key. */
export async function devBroker(issuer: DevIssuer): Promise<{ clientId: string; clientSecret: string; signingKey: string }> {
  return { ...issuer.broker, signingKey: await generateSigningKey() };
}

/** The stock-client versions the kit's tests sign in with (`runtime/test/sign-in-stock-clients.test.ts`). */
export const TESTED_CLIENTS = { inspector: '2.12.0', mcpRemote: '0.15.1' } as const;

/**
 * Banner lines: how to add the dev server to stock MCP clients, which sign in through the kit, and
 * where the signed-in user reviews and revokes what they allowed. Every JSON snippet is one line.
 */
export function clientSetupLines(resource: string): string[] {
  const name = 'enterprise-mcp-dev';
  const vscode = JSON.stringify({ servers: { [name]: { type: 'http', url: resource } } });
  const cursor = JSON.stringify({ mcpServers: { [name]: { url: resource } } });
  const stdio = JSON.stringify({ mcpServers: { [name]: { command: 'npx', args: ['-y', `mcp-remote@${TESTED_CLIENTS.mcpRemote}`, resource] } } });
  return [
    'Sign in from a stock MCP client (the browser shows the kit\'s consent page, then the dev login page:',
    'any user name; groups typed on the page, e.g. "staff" or "analysts,staff"):',
    `  Claude Code:     claude mcp add --transport http ${name} ${resource}`,
    `  VS Code:         .vscode/mcp.json  ${vscode}`,
    `  Cursor:          .cursor/mcp.json  ${cursor}`,
    `  Claude Desktop or any stdio-only client, through mcp-remote:  ${stdio}`,
    `  Inspector CLI:   npx @modelcontextprotocol/inspector@${TESTED_CLIENTS.inspector} --cli ${resource} --transport http --method tools/list`,
    '                   (from this repository: npx runs the pinned Inspector on the pinned Node 22; it needs Node 22.19 or later)',
    `Review or revoke the applications you allowed: ${new URL(resource).origin}/oauth/consents`,
  ];
}
