import type { ToolDefinition } from '../tools/definition.js';

/** The port `npm run dev` and `dev:token` use when none is given. */
export const DEFAULT_DEV_PORT = 3000;

/** The tool the quickstart calls: every principal with its scope may use it. */
const EXAMPLE_TOOL = 'whoami';

const CLIENT_INFO = '{"name":"curl","version":"1"}';

function portFlag(port: number): string {
  return port === DEFAULT_DEV_PORT ? '' : ` --port ${port}`;
}

/**
 * The shell commands that reach a `tools/call` in both protocol eras against the dev server on
 * `port`: a token, then a 2025-11-25 session (`initialize`, `notifications/initialized`,
 * `tools/call` with the `Mcp-Session-Id` header), then a stateless 2026-07-28 call. bash and zsh.
 * The README's quickstart is exactly these lines for port 3000 (a test keeps them equal).
 */
export function quickstartCommands(port: number): string[] {
  const legacy = `-H "Mcp-Session-Id: $SESSION" -H 'MCP-Protocol-Version: 2025-11-25'`;
  const modernMeta = `"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":${CLIENT_INFO},"io.modelcontextprotocol/clientCapabilities":{}}`;
  return [
    `TOKEN=$(npm run -s dev:token -- --sub alice --groups staff${portFlag(port)})`,
    `MCP=http://127.0.0.1:${port}/mcp`,
    `H=(-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream')`,
    '# 2025-11-25: initialize opens a session; its id comes back in the Mcp-Session-Id header',
    `SESSION=$(curl -s -D - -o /dev/null "\${H[@]}" -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":${CLIENT_INFO}}}' $MCP | awk 'tolower($1) == "mcp-session-id:" { print $2 }' | tr -d '\\r')`,
    `curl -s "\${H[@]}" ${legacy} -d '{"jsonrpc":"2.0","method":"notifications/initialized"}' $MCP`,
    `curl -s -w '\\n' "\${H[@]}" ${legacy} -d '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"${EXAMPLE_TOOL}","arguments":{}}}' $MCP`,
    '# 2026-07-28: no session; every request says its version, method and tool',
    `curl -s -w '\\n' "\${H[@]}" -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H 'Mcp-Name: ${EXAMPLE_TOOL}' -d '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"${EXAMPLE_TOOL}","arguments":{},${modernMeta}}}' $MCP`,
  ];
}

/**
 * Which tools a dev token unlocks, from the catalog's access rules: every dev token carries every
 * scope unless `--scope` narrows it, so groups decide the rest. One line per distinct rule.
 */
export function toolAccessLines(tools: readonly Pick<ToolDefinition, 'name' | 'access'>[]): string[] {
  const byRule = new Map<string, string[]>();
  for (const tool of tools) {
    const groups = tool.access.anyGroup;
    const rule = groups === undefined ? 'every user' : groups.length === 0 ? 'nobody (no group is allowed)' : `--groups ${groups.join(' or ')}`;
    byRule.set(rule, [...(byRule.get(rule) ?? []), tool.name]);
  }
  const rows = [...byRule].map(([rule, names]) => [names.join(', '), rule] as const);
  const width = Math.max(...rows.map(([names]) => names.length));
  return rows.map(([names, rule]) => `${names.padEnd(width)}  ${rule}`);
}

export interface BannerOptions {
  readonly endpoints: readonly string[];
  readonly pids: readonly (number | undefined)[];
  readonly issuer: string;
  readonly store: string;
  readonly tools: readonly Pick<ToolDefinition, 'name' | 'access'>[];
  /** How to add the server to stock MCP clients, which sign in through the kit. */
  readonly clientSetup: readonly string[];
  /** The port `dev:token` should be pointed at (the first instance's). */
  readonly port: number;
  /** The log file, or undefined when the records go to the terminal. */
  readonly logFile: string | undefined;
  readonly statePath: string;
}

/** What `npm run dev` prints once every instance serves. */
export function devBanner(options: BannerOptions): string[] {
  const indent = (lines: readonly string[]) => lines.map((line) => `  ${line}`);
  const instances = options.endpoints.length;
  const pids = options.pids.map((pid) => String(pid ?? '?')).join(', ');
  return [
    ...options.endpoints.map((endpoint) => `MCP endpoint: ${endpoint}`),
    `OpenID issuer: ${options.issuer} (embedded, loopback only)`,
    `Session store: ${options.store} (embedded dynalite, in memory)`,
    instances > 1
      ? `Instances: ${instances} server processes (pids ${pids}) share the store; stop one and the others keep serving every session while it restarts.`
      : `Server process: pid ${pids} (restarted if it stops).`,
    options.logFile
      ? `Logs: JSON records and EMF metrics go to ${options.logFile}; below, one line per request (--logs terminal prints the records here instead).`
      : 'Logs: JSON records and EMF metrics are printed here, as in production (--logs file sends them to a file).',
    '',
    'Who may use which tool (a dev token has every scope unless --scope is given; groups come from --groups):',
    ...indent(toolAccessLines(options.tools)),
    '',
    ...options.clientSetup,
    '',
    'Or get an access token for scripts:',
    `  npm run -s dev:token -- --sub alice --groups staff${portFlag(options.port)}`,
    'Call a tool in both protocol eras (bash or zsh, from a second terminal):',
    ...indent(quickstartCommands(options.port)),
    '',
    `Dev state (issuer URL and dev client secret, mode 0600): ${options.statePath}`,
    'Press Ctrl+C to stop.',
  ];
}
