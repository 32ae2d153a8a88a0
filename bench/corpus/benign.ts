/**
 * Benign samples: text a tool might return that holds no secret and no personal data, chosen to
 * look like what the patterns hunt for (long digit runs, hex, dashes, dots, `@`, words such as
 * "password" and "token"). A redaction in any of them is a false positive.
 */
import { fakeUuid } from './fake-values.js';
import { SeededRandom } from './random.js';

export interface BenignSample {
  readonly id: string;
  readonly category: string;
  readonly text: string;
}

const CODE: readonly string[] = [
  'const maxTokens = 4096;\nconst temperature = 0.2;',
  "if (password.length < 12) throw new Error('password too short');",
  'export function hashPassword(input: string): Promise<string> { return argon2.hash(input); }',
  'SELECT id, email_verified, created_at FROM users WHERE created_at > \'2024-01-01\' LIMIT 50;',
  'docker run --rm -p 8080:80 -v "$PWD/site:/usr/share/nginx/html" nginx:1.25.3',
  'curl -s -H "Content-Type: application/json" https://api.example.com/v1/items?page=2&per_page=100',
  'git clone https://github.com/example-org/example-repo.git && cd example-repo && npm ci',
  'const TIMEOUT_MS = 30_000;\nconst RETRIES = [100, 250, 500, 1000, 2000];',
  'const now = Math.floor(Date.now() / 1000);\nconst expiresAt = now + 3600;',
  'for i in range(0, 1000000, 5000):\n    print(i, i * 2)',
  'def rotate_credentials(client, secret_id):\n    return client.rotate_secret(SecretId=secret_id)',
  'resource "aws_s3_bucket" "logs" {\n  bucket = "example-logs-eu-west-1"\n}',
  'kubectl get pods -n payments -o wide | grep -v Running',
  'matrix = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]',
  'const colors = { primary: "#0055ff", danger: "#d93025", muted: "#5f6368" };',
  'int checksum = 0xDEADBEEF ^ 0x0BADF00D;',
  'if err != nil {\n\treturn fmt.Errorf("open %s: %w", path, err)\n}',
  'public static final long SERIAL_VERSION_UID = 4125965356537863246L;',
  'const re = /^[a-z0-9-]{3,63}$/;\nconsole.assert(re.test("my-bucket-01"));',
  'app.post("/login", rateLimit({ windowMs: 60_000, max: 5 }), loginHandler);',
  'const session = await store.get(sessionKey);\nif (!session) return notFound();',
  'await page.fill("#password", process.env.E2E_PASSWORD ?? "");',
  'const { data } = await axios.get(`/api/orders/${orderId}`, { timeout: 5000 });',
  'CREATE INDEX idx_orders_created ON orders (created_at DESC);',
  'echo "Build 2024.06.01-1432 finished in 00:03:41"',
  'np.random.seed(42)\nx = np.linspace(0, 10, 1001)',
  'server {\n  listen 443 ssl;\n  server_name www.example.com;\n}',
  'const tokenizer = new Tokenizer({ vocabSize: 32000 });\nconst tokens = tokenizer.encode(text);',
  'useEffect(() => { const id = setInterval(tick, 1000); return () => clearInterval(id); }, []);',
  'assert.equal(parseVersion("1.22.0-rc.1").minor, 22);',
  'const nextToken = response.NextToken;\nif (nextToken) params.NextToken = nextToken;',
  'awk -F, \'{ sum += $3 } END { print sum / NR }\' sales-2023.csv',
  'printf("%08.3f\\n", 3.14159265);',
  'Object.freeze({ apiVersion: "2015-03-31", region: "us-east-1" })',
  'ssh -p 2222 deploy@203.0.113.10 "sudo systemctl restart app"',
  'const passwordPolicy = { minLength: 14, requireSymbols: true, maxAgeDays: 90 };',
  'fn main() { let v: Vec<u64> = (1..=20).collect(); println!("{:?}", v); }',
  'import { z } from "zod";\nconst Input = z.strictObject({ query: z.string().max(200) });',
  'LOG_LEVEL=info\nPORT=8443\nAWS_REGION=eu-west-1\nTABLE_NAME=sessions',
  '@Component({ selector: "app-root", templateUrl: "./app.component.html" })',
  'const apiKey = config.get("apiKey");\nif (!apiKey) throw new Error("missing configuration");',
  'user.password = bcrypt.hashSync(plain, 10);',
  '"password_hash": "$2b$12$KIXQJ8kJHh8/0yO0n2M9e.ZpN1vVq3mCkA8sC6JQ1vZr7c0u1lW2a"',
  'aws ecr get-login-password | docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com',
  '$ pwd\n/home/ec2-user/app\n$ ls\nREADME.md  package.json  src',
  // Known false positive: an SSH remote has the shape of an email address.
  'git remote add origin git@github.com:example-org/app.git',
];

const PROSE: readonly string[] = [
  'Rotate your access keys every 90 days and remove keys that have not been used for 45 days.',
  'The password must contain at least 12 characters, including a number and a symbol.',
  'Store the API key in AWS Secrets Manager rather than in the source code.',
  'Tokens expire after one hour; the client refreshes them in the background.',
  'Revenue grew 14.2% year over year, reaching $1,234,567.89 in the fourth quarter.',
  'The meeting moved from 10:30 to 14:00 on Tuesday, room 4.12.',
  'Our office is on the 3rd floor; the lift is to the left of reception.',
  'Version 2 of the report covers 1,024 incidents across 37 services.',
  'Please sign in again: your session has expired for security reasons.',
  'The survey had 8 336 817 responses from 193 countries.',
  'Shipment weight: 12.5 kg, dimensions 40 x 30 x 20 cm.',
  'The firmware update to 3.4.1 fixes the bootloader issue reported in March.',
  'The cluster runs 3 nodes with 16 vCPU and 64 GiB of memory each.',
  'Temperature readings ranged from -4.5 °C to 31.2 °C over the week.',
  'A secret to good soup is patience and a pinch of salt.',
  'The bearer of this certificate completed the advanced course in 2023.',
  'Reset links are valid for 30 minutes and can be used once.',
  'Multi-factor authentication is required for all administrator accounts.',
  'Page 12 of 48 — continued from the previous section.',
  'The library closes at 18:00 on weekdays and 16:00 on Saturdays.',
  'Batch 2024-17 passed quality control with 99.7% yield.',
  'Latency p99 dropped from 812 ms to 240 ms after the cache change.',
  'Chapter 7 explains how cookies differ from local storage.',
  'Credentials are never stored in plain text; only salted hashes are kept.',
  'The private key never leaves the hardware security module.',
  'Budget for FY2025: 2.4 million euros, split across 6 programmes.',
  'Flight LH 2047 departs at 07:45 from gate B12.',
  'Dosage: 500 mg twice a day for 7 days.',
  'The parcel left the depot at 06:12 and is due between 13:00 and 15:00.',
  'Score: 3-1 after extra time; attendance 45,210.',
  'CVE-2024-3094 affects xz 5.6.0 and 5.6.1; upgrade to 5.6.2.',
  'Meeting ID: 812 3456 7890 (no passcode needed for internal attendees).',
  // Known false positive: "Password:" followed by prose reads as a password assignment.
  'Password: at least 12 characters, one digit and one symbol.',
];

const ORDER_NUMBERS: readonly string[] = [
  'Order ORD-2024-004512 has shipped.',
  'Order #48213 is ready for pickup.',
  'Invoice INV-000123 is due on 2024-07-31.',
  'Purchase order PO 4500012345 approved.',
  'Tracking number 1Z999AA10123456784 (UPS).',
  'Ticket JIRA-4821 moved to review.',
  'Case 00012345 was closed by support.',
  'Order 7301284456 was refunded.',
  'Reference REF/2024/00981 attached.',
  'Booking code QX7T2M for 2 passengers.',
  'Return authorisation RMA-88213-B issued.',
  'SKU 100-2003-45 is out of stock.',
  'Part number 6ES7 214-1AG40-0XB0 ordered.',
  'Container MSCU 123456-7 arrived at the port.',
  'Claim number 2024-000-778812 is under review.',
];

const NUMBERS: readonly string[] = [
  'Unix time 1717243200 corresponds to 2024-06-01 12:00 UTC.',
  'Timestamp in ms: 1717243200123.',
  'AWS account 123456789012 owns the bucket.',
  'arn:aws:iam::123456789012:role/mcp-service-task-role',
  'arn:aws:dynamodb:eu-west-1:123456789012:table/sessions/index/by-owner',
  'Coordinates: 48.8566, 2.3522',
  'Max uint64 is 18446744073709551615.',
  'Number.MAX_SAFE_INTEGER === 9007199254740991',
  'Avogadro constant: 6.02214076e23',
  'Listening on 0.0.0.0:8443',
  'File size: 1,073,741,824 bytes (1 GiB).',
  'Pi to 20 places: 3.14159265358979323846',
  'Serial: 2024 0612 0001 (batch label)',
  'Range 1000-2000 and 3000-4000 are reserved.',
  'Port list: 22, 80, 443, 8080, 8443',
  'Fibonacci: 1 1 2 3 5 8 13 21 34 55 89 144',
  'Result 42 of 1337 (3.14%).',
  'Extension 4412, room 1204.',
  'ISBN 978-0-13-235088-4',
  'EAN 4006381333931',
  'ISBN-13: 978-3-16-148410-0',
  // Known false positive: a serial number in the shape of a UK freephone number.
  'Serial number: 0800 1234 5678',
];

const OTHER_ENCODINGS: readonly string[] = [
  'Payload (base64): SGVsbG8sIHdvcmxkIQ==',
  'MAC address 00:1A:2B:3C:4D:5E on eth0',
  'ETag: "d41d8cd98f00b204e9800998ecf8427e"',
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk',
  'Color palette: #1a73e8 #e8eaed #202124',
  'Regex: ^\\d{3}-\\d{3}$ matches 555-123 style codes.',
  'Hex dump: 48 65 6c 6c 6f 20 57 6f 72 6c 64',
  'npm install zod@4.6.7 @aws-sdk/client-dynamodb@3.1164.0',
  'image: public.ecr.aws/docker/library/node:20-alpine',
  'CIDR blocks 10.0.0.0/16, 10.0.128.0/20 and fd00::/8',
];

function generated(r: SeededRandom): Array<{ category: string; text: string }> {
  const out: Array<{ category: string; text: string }> = [];
  const add = (category: string, text: string): void => {
    out.push({ category, text });
  };
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  for (let i = 0; i < 20; i++) {
    const id = fakeUuid(r);
    add('uuid', r.pick([`Request ${id} completed in ${r.int(3, 900)} ms`, `{"id":"${id}","status":"ok"}`, `trace-id: ${id}`, `/v1/documents/${id}/versions`]));
  }
  for (let i = 0; i < 20; i++) {
    const sha = r.hex(40);
    add('git-sha', r.pick([`commit ${sha}`, `Merge ${sha.slice(0, 7)}..${r.hex(7)}`, `git checkout ${sha}`, `HEAD is now at ${sha.slice(0, 12)} fix tests`]));
  }
  for (let i = 0; i < 15; i++) {
    const hash = r.hex(64);
    add('sha256', r.pick([`sha256:${hash}`, `${hash}  release-${r.int(1, 9)}.${r.int(0, 20)}.tar.gz`, `node@sha256:${hash}`, `"integrity": "sha256-${Buffer.from(hash, 'hex').toString('base64')}"`]));
  }
  for (let i = 0; i < 15; i++) {
    const y = r.int(1990, 2030);
    const m = r.int(1, 12);
    const d = r.int(1, 28);
    add(
      'date',
      r.pick([
        `${y}-${pad(m)}-${pad(d)}`,
        `${pad(d)}/${pad(m)}/${y}`,
        `${pad(m)}/${pad(d)}/${y}`,
        `${pad(d)}.${pad(m)}.${y}`,
        `${pad(d)}-${pad(m)}-${y} ${pad(r.int(0, 23))}:${pad(r.int(0, 59))}`,
        `due ${y}/${pad(m)}/${pad(d)}`,
        `from ${y}-${pad(m)}-01 to ${y}-${pad(m)}-${pad(d)}`,
      ]),
    );
  }
  for (let i = 0; i < 15; i++) {
    const ts = `${r.int(2015, 2030)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))}T${pad(r.int(0, 23))}:${pad(r.int(0, 59))}:${pad(r.int(0, 59))}`;
    add('iso-timestamp', r.pick([`${ts}Z`, `${ts}.${r.digits(3)}Z`, `${ts}+02:00`, `[${ts}.${r.digits(6)}Z] WARN retrying in 250 ms`]));
  }
  for (let i = 0; i < 15; i++) {
    const v = `${r.int(0, 30)}.${r.int(0, 40)}.${r.int(0, 200)}`;
    add('version', r.pick([`v${v}`, `${v}-rc.${r.int(1, 5)}`, `node ${v}`, `"zod": "^${v}"`, `Python ${v}`, `kernel ${v}-${r.int(1000, 1100)}-aws`, `build ${v}.${r.int(1000, 30000)}`]));
  }
  for (let i = 0; i < 15; i++) {
    const v4 = `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
    add('ip', r.pick([v4, `${v4}:${r.int(1024, 65535)}`, `${v4}/${r.int(8, 32)}`, `2001:db8:${r.hex(4)}::${r.hex(4)}`, `client_ip=${v4} status=200`]));
  }
  return out;
}

/** The benign corpus: at least 200 samples, the same on every call. */
export function benignSamples(seed = 7_282_026): BenignSample[] {
  const fixed: Array<{ category: string; text: string }> = [
    ...CODE.map((text) => ({ category: 'code', text })),
    ...PROSE.map((text) => ({ category: 'prose', text })),
    ...ORDER_NUMBERS.map((text) => ({ category: 'order-number', text })),
    ...NUMBERS.map((text) => ({ category: 'number', text })),
    ...OTHER_ENCODINGS.map((text) => ({ category: 'encoding', text })),
  ];
  return [...fixed, ...generated(new SeededRandom(seed))].map((s, i) => ({ id: `${s.category}-${i + 1}`, ...s }));
}
