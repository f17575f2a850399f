// A streamer types the session's start in China time; every page shows that same time, whatever
// the server's own zone (it runs in UTC here). Before, 20:00 was read as 20:00 UTC and listed as
// 04:00 the next day.
import { expect } from 'chai';
import { parseChinaLocalTime } from '../../server/core/china-time.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { Client } from '../support/http-client.ts';
import { inProcessWeb } from '../support/web-scene.ts';

describe('live session times are China time', () => {
  const scene = inProcessWeb();

  it('reads a datetime-local value as Beijing time and refuses what is not a real time', () => {
    expect(parseChinaLocalTime('2026-11-29T20:00')?.toISOString()).to.equal(
      '2026-11-29T12:00:00.000Z',
    );
    expect(parseChinaLocalTime('2026-12-01T05:30:15')?.toISOString()).to.equal(
      '2026-11-30T21:30:15.000Z',
    );
    for (const bad of ['0', '-1', '\u0000', '', '2026-02-30T20:00', '2026-11-29T24:00', 'tomorrow'])
      expect(parseChinaLocalTime(bad), JSON.stringify(bad)).to.equal(undefined);
  });

  it('a session entered as 20:00 is stored as 12:00 UTC and shown as 20:00 on the studio list and in its room', async () => {
    const streamer = new Client(scene.base);
    expect((await streamer.signIn('13900000001', 'cunbo2026')).status).to.equal(200);
    const form = {
      title_zh: '平安夜花椒专场',
      title_en: '',
      // Far ahead, so the studio's list (latest first, fifty at most) shows it whatever else the
      // suite has scheduled.
      scheduled_at: '2031-12-24T20:00',
      stream_url: '',
      sku_code_0: 'HJ-DHP-TJ-250',
      live_price_yuan_0: '29.80',
      allotment_0: '50',
      per_buyer_limit_0: '3',
    };
    const made = await streamer.postForm('/studio/live', form);
    expect(made.status, String(made.body).slice(0, 300)).to.equal(303);
    const id = made.headers.get('location')!.split('/').at(-1)!;
    const session = (await LiveSessionModel.findById(id).lean())!;
    expect(session.scheduledAt.toISOString()).to.equal('2031-12-24T12:00:00.000Z');
    expect(session.offers[0]!.livePriceFen).to.equal(2980); // typed in 元

    const list = await streamer.get<string>('/studio/live');
    expect(list.body).to.include('2031-12-24 20:00');
    // A buyer who opens the room before it starts sees when it will (the home page's list uses
    // the same dateTime helper).
    const room = await new Client(scene.base).get<string>(`/live/${id}`);
    expect(room.body).to.match(/data-testid="starts-at">2031-12-24 20:00 开播/);
    await LiveSessionModel.deleteOne({ _id: id });
  });

  it('a start that is not a time is refused beside its field, and nothing is stored', async () => {
    const streamer = new Client(scene.base);
    expect((await streamer.signIn('13900000001', 'cunbo2026')).status).to.equal(200);
    const before = await LiveSessionModel.countDocuments();
    for (const scheduled of ['0', '-1', '%00', '2026-13-45T99:99']) {
      const refused = await streamer.postForm('/studio/live', {
        title_zh: '时间不对的专场',
        scheduled_at: scheduled,
        sku_code_0: 'HJ-DHP-TJ-250',
        live_price_yuan_0: '29.80',
        allotment_0: '50',
        per_buyer_limit_0: '3',
      });
      expect(refused.status, scheduled).to.equal(400);
      expect(String(refused.body)).to.include('开播时间');
    }
    expect(await LiveSessionModel.countDocuments()).to.equal(before);
  });

  it('takes the live price in 元 and re-shows a bad one beside its field with what was typed', async () => {
    const streamer = new Client(scene.base);
    expect((await streamer.signIn('13900000001', 'cunbo2026')).status).to.equal(200);
    const before = await LiveSessionModel.countDocuments();
    const refused = await streamer.postForm('/studio/live', {
      title_zh: '价格写错的专场',
      scheduled_at: '2031-12-25T20:00',
      sku_code_0: 'HJ-DHP-TJ-250',
      live_price_yuan_0: '19.999',
      allotment_0: '50',
      per_buyer_limit_0: '3',
    });
    expect(refused.status).to.equal(400);
    const page = String(refused.body);
    // The schedule form itself, not an error page: the title and the price as typed are there,
    // and the price's reason sits in its own row.
    expect(page).to.include('name="live_price_yuan_0" value="19.999"');
    expect(page).to.include('value="价格写错的专场"');
    expect(page).to.match(
      /name="live_price_yuan_0"[^>]*>\s*<[^>]*class="[^"]*field-error[^"]*"[^>]*>[^<]*元/,
    );
    expect(page).to.include('直播价（元）');
    expect(await LiveSessionModel.countDocuments()).to.equal(before);
  });
});
