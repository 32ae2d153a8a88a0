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

/** Banner lines: how to add the dev server to stock MCP clients, which sign in through the kit. */
export function clientSetupLines(resource: string): string[] {
  const vscode = JSON.stringify({ servers: { 'enterprise-mcp-dev': { type: 'http', url: resource } } });
  return [
    'Sign in from a stock MCP client (the browser shows the kit\'s consent page, then the dev login page:',
    'any user name; groups typed on the page, e.g. "staff" or "analysts,staff"):',
    `  Claude Code:  claude mcp add --transport http enterprise-mcp-dev ${resource}`,
    `  VS Code:      .vscode/mcp.json  ${vscode}`,
    `  Inspector:    npx @modelcontextprotocol/inspector --cli ${resource} --transport http --method tools/list`,
  ];
}
