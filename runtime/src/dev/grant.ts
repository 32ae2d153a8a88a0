/** The grant type the dev token command uses: a real token request to the real token endpoint. */
export const DEV_GRANT_TYPE = 'urn:enterprise-mcp-kit:grant-type:dev-token';
