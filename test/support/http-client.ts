// A small cookie-keeping HTTP client: one instance is one person's browser session.
export interface Reply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export class Client {
  readonly base: string;
  private cookies = new Map<string, string>();
  csrfToken = '';
  /** Sent with every request, e.g. X-Forwarded-For to come from another address. */
  headers: Record<string, string> = {};

  constructor(base: string) {
    this.base = base;
  }

  private remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1));
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  forget(name: string): void {
    this.cookies.delete(name);
  }

  async request<T = unknown>(
    method: string,
    path: string,
    opts: { json?: unknown; form?: Record<string, string>; base?: string } = {},
  ): Promise<Reply<T>> {
    // Pages are asked for as a browser would; the API as an app would.
    const accept = path.startsWith('/api/') ? 'application/json' : 'text/html';
    const headers: Record<string, string> = {
      ...this.headers,
      cookie: this.cookieHeader(),
      accept,
    };
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.accept = 'text/html';
      body = new URLSearchParams({ _csrf: this.csrfToken, ...opts.form }).toString();
    }
    if (method !== 'GET') headers['x-csrf-token'] = this.csrfToken;
    const res = await fetch(`${opts.base ?? this.base}${path}`, {
      method,
      headers,
      body,
      redirect: 'manual',
    });
    this.remember(res);
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  get<T = unknown>(path: string, base?: string) {
    return this.request<T>('GET', path, base ? { base } : {});
  }

  post<T = unknown>(path: string, json: unknown, base?: string) {
    return this.request<T>('POST', path, base ? { json, base } : { json });
  }

  postForm(path: string, form: Record<string, string>) {
    return this.request<string>('POST', path, { form });
  }

  /** Gets a CSRF token, then signs in through the JSON API. */
  async signIn(
    login: string,
    password: string,
    base?: string,
  ): Promise<Reply<{ actor: { id: string }; csrfToken: string }>> {
    const session = await this.get<{ csrfToken: string }>('/api/session', base);
    this.csrfToken = session.body.csrfToken;
    const reply = await this.post<{ actor: { id: string }; csrfToken: string }>(
      '/api/session',
      { login, password },
      base,
    );
    if (reply.status === 200) this.csrfToken = reply.body.csrfToken;
    return reply;
  }
}

/**
 * Sends until the answer is something other than "busy, try again shortly" (503 with
 * Retry-After, which a loaded server gives when its store is out of reach or out of
 * connections), waiting as told between tries, as the buyer's phone does. The request must be
 * safe to repeat (an idempotency key, a sign-in). Returns the last answer and how many were sent.
 */
export async function sendUntilNotBusy<T>(
  send: () => Promise<Reply<T>>,
  maxTries = 5,
): Promise<Reply<T> & { tries: number }> {
  for (let tries = 1; ; tries++) {
    const reply = await send();
    const retryAfterS = Number(reply.headers.get('retry-after'));
    if (reply.status !== 503 || !retryAfterS || tries === maxTries) return { ...reply, tries };
    await new Promise((resolve) => setTimeout(resolve, retryAfterS * 1000));
  }
}

export const DEMO_ADDRESS = {
  recipient: '陈晓',
  phone: '13800000001',
  province: '北京市',
  city: '北京市',
  county: '朝阳区',
  township: '望京街道',
  village: '',
  detail: '望京西路 8 号院 3 号楼 1201',
};
