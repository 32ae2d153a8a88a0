/**
 * Planted samples: short texts, each hiding one fake secret or piece of personal data, in the kinds
 * of surroundings tool output has (log lines, JSON, YAML, env files, tables, prose).
 */
import type { RedactionKind } from '../../runtime/src/filters/index.js';
import * as fake from './fake-values.js';
import { SeededRandom } from './random.js';

export interface PlantedSample {
  readonly id: string;
  /** The kind the filter must report for this sample. */
  readonly kind: RedactionKind;
  readonly text: string;
  /** Substrings that must no longer appear once the text is redacted. */
  readonly secrets: readonly string[];
}

type Fragment = { text: string; secrets: string[] };
type Generator = (r: SeededRandom) => Fragment;

const bare = (value: string): Fragment => ({ text: value, secrets: [value] });

/** Surroundings a fragment is placed into. */
const SURROUNDINGS: ReadonlyArray<(fragment: string) => string> = [
  (f) => f,
  (f) => `Here is what I found: ${f}`,
  (f) => `2024-06-01T12:00:00.000Z INFO request completed detail="${f}" duration_ms=42`,
  (f) => `| field | value |\n| --- | --- |\n| contact | ${f} |`,
  (f) => `<td>${f}</td>`,
  (f) => `- entry: ${f}\n- status: active`,
  (f) => `Note (${f}) was attached to the ticket.`,
  (f) => `{"result":{"text":"${f}","ok":true}}`,
  (f) => `line one\n${f}\nline three`,
  (f) => `Meeting notes — follow up with ${f}. Thanks!`,
];

const PASSWORD_FORMS: ReadonlyArray<(r: SeededRandom) => Fragment> = [
  (r) => {
    const p = fake.fakePassword(r);
    return { text: `password=${p}`, secrets: [p] };
  },
  (r) => {
    const p = fake.fakePassphrase(r);
    return { text: `{"username": "ops", "password": "${p}"}`, secrets: [p] };
  },
  (r) => {
    const p = fake.fakePassword(r);
    return { text: `pwd: ${p}`, secrets: [p] };
  },
  (r) => {
    const p = fake.fakePassword(r);
    return { text: `DB_PASSWORD=${p}`, secrets: [p] };
  },
  (r) => {
    const p = fake.fakePassword(r);
    return { text: `mysql --user=app --password ${p} --host db`, secrets: [p] };
  },
  (r) => {
    const p = fake.fakePassword(r);
    return { text: `spring.datasource.password: '${p}'`, secrets: [p] };
  },
  (r) => {
    const p = fake.fakePassword(r);
    return { text: `$config['db_password'] => '${p}';`, secrets: [p] };
  },
  (r) => {
    const p = fake.fakePassphrase(r);
    return { text: `Passphrase = "${p}"`, secrets: [p] };
  },
];

const CONNECTION_FORMS: ReadonlyArray<(r: SeededRandom) => Fragment> = [
  (r) => {
    const p = fake.fakeUrlPassword(r);
    return { text: `postgres://app_user:${p}@db.internal.example.com:5432/orders`, secrets: [p] };
  },
  (r) => {
    const p = fake.fakeUrlPassword(r);
    return { text: `mysql://root:${p}@10.0.3.17:3306/shop`, secrets: [p] };
  },
  (r) => {
    const p = fake.fakeUrlPassword(r);
    return { text: `mongodb+srv://svc-reader:${p}@cluster0.example.mongodb.net/?retryWrites=true`, secrets: [p] };
  },
  (r) => {
    const p = fake.fakeUrlPassword(r);
    return { text: `redis://:${p}@cache.example.com:6379/0`, secrets: [p] };
  },
  (r) => {
    const p = fake.fakeUrlPassword(r);
    return { text: `amqps://worker:${p}@mq.example.com/vhost`, secrets: [p] };
  },
  (r) => {
    const p = fake.fakeUrlPassword(r);
    return { text: `https://deploy:${p}@git.example.com/team/repo.git`, secrets: [p] };
  },
];

const GENERATORS: Readonly<Record<RedactionKind, Generator>> = {
  'aws-access-key': (r) => bare(fake.fakeAwsAccessKeyId(r)),
  'aws-secret-key': (r) => {
    const s = fake.fakeAwsSecretAccessKey(r);
    return {
      text: r.pick([
        `aws_secret_access_key = ${s}`,
        `AWS_SECRET_ACCESS_KEY=${s}`,
        `"SecretAccessKey": "${s}"`,
        `secretAccessKey: '${s}'`,
      ]),
      secrets: [s],
    };
  },
  jwt: (r) => {
    const t = fake.fakeJwt(r);
    return { text: r.pick([t, `token=${t}`, `"id_token": "${t}"`]), secrets: [t] };
  },
  'pem-private-key': (r) => {
    const { block, lines } = fake.fakePemPrivateKey(r);
    return { text: block, secrets: lines };
  },
  'github-token': (r) => bare(fake.fakeGithubToken(r)),
  'gitlab-token': (r) => bare(fake.fakeGitlabToken(r)),
  'slack-token': (r) => bare(fake.fakeSlackToken(r)),
  'slack-webhook': (r) => bare(fake.fakeSlackWebhook(r)),
  'stripe-key': (r) => bare(fake.fakeStripeKey(r)),
  password: (r) => r.pick(PASSWORD_FORMS)(r),
  'connection-string': (r) => r.pick(CONNECTION_FORMS)(r),
  'authorization-header': (r) => {
    const t = fake.fakeOpaqueToken(r);
    return { text: r.pick([`Authorization: Bearer ${t}`, `authorization: token ${t}`, `"Authorization": "Basic ${t}"`]), secrets: [t] };
  },
  'bearer-token': (r) => {
    const t = fake.fakeOpaqueToken(r);
    return {
      text: r.pick([`headers: { auth: 'Bearer ${t}' }`, `proxy_set_header X-Upstream-Auth "Bearer ${t}";`, `ws.send("Bearer ${t}")`]),
      secrets: [t],
    };
  },
  'secret-assignment': (r) => {
    const t = fake.fakeOpaqueToken(r);
    return {
      text: r.pick([`api_key=${t}`, `"apiKey": "${t}"`, `client_secret: ${t}`, `ACCESS_TOKEN='${t}'`, `x-api-key: ${t}`]),
      secrets: [t],
    };
  },
  email: (r) => bare(fake.fakeEmail(r)),
  phone: (r) => bare(fake.fakePhone(r)),
  'payment-card': (r) => bare(fake.fakeCardNumber(r)),
  iban: (r) => bare(fake.fakeIban(r)),
  'us-ssn': (r) => bare(fake.fakeSsn(r)),
};

/** How many samples of each kind the corpus plants. */
const PER_KIND: Readonly<Record<RedactionKind, number>> = {
  'aws-access-key': 14,
  'aws-secret-key': 10,
  jwt: 14,
  'pem-private-key': 8,
  'github-token': 14,
  'gitlab-token': 8,
  'slack-token': 8,
  'slack-webhook': 6,
  'stripe-key': 8,
  password: 18,
  'connection-string': 12,
  'authorization-header': 8,
  'bearer-token': 6,
  'secret-assignment': 10,
  email: 20,
  phone: 24,
  'payment-card': 22,
  iban: 18,
  'us-ssn': 16,
};

/** The planted corpus: at least 200 samples, the same on every call. */
export function plantedSamples(seed = 20_260_728): PlantedSample[] {
  const r = new SeededRandom(seed);
  const samples: PlantedSample[] = [];
  for (const [kind, count] of Object.entries(PER_KIND) as Array<[RedactionKind, number]>) {
    for (let i = 0; i < count; i++) {
      const fragment = GENERATORS[kind](r);
      const surround = SURROUNDINGS[(i + samples.length) % SURROUNDINGS.length] ?? ((f: string) => f);
      samples.push({ id: `${kind}-${i + 1}`, kind, text: surround(fragment.text), secrets: fragment.secrets });
    }
  }
  return samples;
}
