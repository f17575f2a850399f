import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../server/core/config.ts';
import { childEnv, runEntry } from '../support/processes.ts';

function envFile(text: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cunbo-config-'));
  const file = path.join(dir, '.env');
  writeFileSync(file, text);
  return file;
}

describe('config', () => {
  it('starts from defaults a newcomer can run with', () => {
    const config = loadConfig({ env: {}, envFile: null });
    expect(config.PORT).to.equal(3000);
    expect(config.NODE_ENV).to.equal('development');
    expect(config.MONGODB_URI).to.equal(undefined);
    expect(config.DEFAULT_LOCALE).to.equal('zh-CN');
    expect(config.PUBLIC_URL).to.equal('http://localhost:3000');
    expect(config.SEED_ON_START).to.equal(true);
  });

  it('layers defaults, then .env, then the environment', () => {
    const file = envFile('PORT=4000\nLOG_LEVEL=debug\nMONGODB_DB=from_file\n');
    const config = loadConfig({ env: { PORT: '5000' }, envFile: file });
    expect(config.PORT).to.equal(5000); // environment beats .env
    expect(config.LOG_LEVEL).to.equal('debug'); // .env beats defaults
    expect(config.MONGODB_DB).to.equal('from_file');
  });

  it('is frozen', () => {
    const config = loadConfig({ env: {}, envFile: null });
    expect(Object.isFrozen(config)).to.equal(true);
    expect(() => Object.assign(config, { PORT: 1 })).to.throw(TypeError);
  });

  it('names every bad key and what it expects', () => {
    try {
      loadConfig({
        env: {
          PORT: 'eighty',
          LOG_LEVEL: 'loud',
          REDIS_URL: 'localhost:6379',
          SEED_ON_START: 'maybe',
          FERRETDB_BACKEND: 'mysql',
          HUB_CONSOLIDATION_WINDOW_S: '-5',
          TRUST_PROXY: 'everyone; drop',
        },
        envFile: null,
      });
      expect.fail('bad config was accepted');
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).to.match(/PORT="eighty" is invalid: expected a TCP port number/);
      expect(problems).to.match(/LOG_LEVEL="loud" is invalid: expected one of trace, debug/);
      expect(problems).to.match(/REDIS_URL="localhost:6379" is invalid: expected a redis:\/\/ URL/);
      expect(problems).to.match(/SEED_ON_START="maybe" is invalid: expected true or false/);
      expect(problems).to.match(/FERRETDB_BACKEND="mysql" is invalid/);
      expect(problems).to.match(/HUB_CONSOLIDATION_WINDOW_S="-5" is invalid/);
      expect(problems).to.match(
        /TRUST_PROXY="everyone; drop" is invalid: expected loopback, a hop count/,
      );
      expect((error as ConfigError).problems).to.have.length(7);
    }
  });

  it('wants both Stripe keys or neither', () => {
    expect(() => loadConfig({ env: { STRIPE_SECRET_KEY: 'sk_test_abc' }, envFile: null })).to.throw(
      ConfigError,
      /STRIPE_WEBHOOK_SECRET.*set both STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET/,
    );
    const real = loadConfig({
      env: { STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_WEBHOOK_SECRET: 'whsec_abc' },
      envFile: null,
    });
    expect(real.STRIPE_SECRET_KEY).to.equal('sk_test_abc');
  });

  it('treats an empty value as unset', () => {
    const config = loadConfig({ env: { MONGODB_URI: '', REDIS_URL: '  ' }, envFile: null });
    expect(config.MONGODB_URI).to.equal(undefined);
    expect(config.REDIS_URL).to.equal(undefined);
  });

  it('stops the web process with one line per bad key and no stack trace', async () => {
    const web = runEntry('server/web.ts', childEnv({ PORT: 'eighty', LOG_LEVEL: 'loud' }));
    const { code } = await web.exited;
    expect(code).to.equal(1);
    const out = web.output();
    expect(out).to.include('cunbo: 2 configuration problem(s):');
    expect(out).to.include('PORT="eighty" is invalid');
    expect(out).to.include('LOG_LEVEL="loud" is invalid');
    expect(out).not.to.match(/\n\s+at /); // no stack frames
  });
});
