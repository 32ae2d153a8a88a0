/**
 * A small bundled knowledge base for the `search_documents` tool. Like real internal documents it
 * contains personal data and secrets pasted by mistake; all of it is fictitious, and all of it must be
 * caught by the output filters before it reaches a client.
 */
export interface BundledDocument {
  readonly id: string;
  readonly title: string;
  readonly text: string;
}

export const DOCUMENTS: readonly BundledDocument[] = [
  {
    id: 'onboarding',
    title: 'Onboarding checklist for new engineers',
    text: 'Welcome aboard. Your buddy is Dana Whitfield (dana.whitfield@example.com, +1 415 555 0134). Request laptop access through the service desk. The staging database is reached with postgres://deploy:Winter2026!@staging-db.internal.example:5432/app until the vault migration is done.',
  },
  {
    id: 'incident-2291',
    title: 'Incident 2291: failed payment batch',
    text: 'The nightly batch failed for customer Jordan Avery (SSN 219-09-9999, card 4539 1488 0343 6467). Root cause: an expired key. The on-call engineer rotated AKIAIOSFODNN7EXAMPLE and aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY in the runbook, which must not happen again.',
  },
  {
    id: 'vendor-payments',
    title: 'Paying the cleaning vendor',
    text: 'Invoices from Sparkle Facilities are paid monthly to IBAN DE89 3704 0044 0532 0130 00. Questions go to accounts@example.org or +44 20 7946 0958.',
  },
  {
    id: 'ci-setup',
    title: 'Setting up CI for a new repository',
    text: 'Create a deploy key, never a personal token. A token such as ghp_1234567890abcdefghijklmnopqrstuvwxyzAB was found in an old pipeline file and revoked. Slack alerts use xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx in the legacy bot.',
  },
  {
    id: 'password-policy',
    title: 'Password policy',
    text: 'Passwords have at least 14 characters. Do not write them in tickets: a ticket once said password=Tr0ub4dor&3 for the shared printer account.',
  },
  {
    id: 'architecture',
    title: 'Service architecture overview',
    text: 'Requests enter through the load balancer, reach the Fargate tasks in three availability zones, and read session state from a DynamoDB global table replicated to every service region. Release 2.14.3 shipped on 2026-03-02 with build 7f3c9e1.',
  },
  {
    id: 'travel',
    title: 'Travel expenses',
    text: 'Book trains at least two weeks ahead. Reimbursements are paid with the next salary run. Receipts older than 90 days are not accepted.',
  },
  {
    id: 'security-contacts',
    title: 'Security contacts',
    text: 'Report suspected phishing to security@example.com. The security lead, Priya Raman, answers on +1 (212) 555-0187 during business hours. Never share a session cookie or bearer token in chat.',
  },
];
