import { Router, type Request } from 'express';
import { parseInput } from '../core/validation.ts';
import { buyInput } from './live-input.ts';
import type { TFunction } from 'i18next';
import { requireRole } from '../accounts/guards.ts';
import { renderFormErrors } from '../core/http/form-errors.ts';
import type { StudioService } from '../catalogue/studio.service.ts';
import type { LiveService } from './live-service.ts';
import type { AddressBook } from '../accounts/address-book.ts';

export function liveRoutes(services: {
  live: LiveService;
  addresses: AddressBook;
  studio: StudioService;
}): Router {
  const router = Router();
  const { live } = services;

  // The buyer's room: rendered on the server first (weak networks), then kept live by socket.io.
  router.get('/live/:id', async (req, res) => {
    const state = await live.roomState(req.params.id, req.locale, req.actor);
    const liveLabels = roomLabels(req.t);
    const pinned = state.pinned;
    res.render('live/room', {
      title: state.title,
      state,
      // Rendered disabled when there is nothing to buy, so a slow phone never shows a live button.
      canBuy: state.status === 'live' && !!pinned?.open && pinned.remaining > 0,
      me: req.actor ? { id: req.actor.id } : null,
      // The address sheet offers the buyer's book: one tap sends a won order elsewhere.
      savedAddresses: req.actor
        ? (await services.addresses.list(req.actor.id)).map((address, i) => ({
            address,
            isDefault: i === 0,
          }))
        : [],
      liveLabels,
    });
  });

  // An ended session's shoppable replay: chapters that seek, products at the shop's price.
  router.get('/live/:id/replay', async (req, res) => {
    const replay = await live.replayPage(req.params.id, req.locale);
    res.render('live/replay', {
      title: req.t('replay.title', { title: replay.title }),
      replay,
      added: req.query.added === '1',
    });
  });

  // The fallback for a buy when the socket cannot connect.
  router.post('/api/live/:id/buy', async (req, res) => {
    res
      .status(201)
      .json(
        await live.buy(
          req.actor,
          parseInput(buyInput, { ...(req.body ?? {}), sessionId: req.params.id }),
        ),
      );
  });

  const liveListLocals = async (req: Request) => {
    return {
      title: req.t('live.sessions'),
      sessions: await live.listForShop(req.actor, req.locale),
      skus: await services.studio.activeSkus(req.actor, req.locale),
    };
  };

  router.get('/studio/live', requireRole('streamer'), async (req, res) => {
    res.render('studio/live-list', { ...(await liveListLocals(req)), values: {} });
  });

  router.post('/studio/live', requireRole('streamer'), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string>;
    // The form sends up to three offer rows; empty rows are skipped.
    const rows = [0, 1, 2].filter((i) => body[`sku_code_${i}`]);
    const offers = rows.map((i) => ({
      sku_code: body[`sku_code_${i}`],
      live_price_yuan: body[`live_price_yuan_${i}`],
      allotment: body[`allotment_${i}`],
      per_buyer_limit: body[`per_buyer_limit_${i}`],
    }));
    try {
      const id = await live.schedule(req.actor, { ...body, offers });
      res.redirect(303, `/studio/live/${id}`);
    } catch (error) {
      // The form again, as typed, with each reason beside its field (offers.1.allotment is the
      // input allotment_<row>).
      renderFormErrors(req, res, 'studio/live-list', error, await liveListLocals(req), {
        fieldName: (path) => {
          const offer = /^offers\.(\d+)\.(\w+)$/.exec(path);
          return offer ? `${offer[2]}_${rows[Number(offer[1])] ?? 0}` : path;
        },
      });
    }
  });

  router.get('/studio/live/:id', requireRole('streamer'), async (req, res) => {
    const dashboard = await live.dashboard(req.actor, String(req.params.id));
    const state = await live.roomState(String(req.params.id), req.locale, req.actor);
    res.render('studio/live-console', {
      title: state.title,
      state,
      dashboard,
      // A scheduled session's rehearsal, if one runs (its console is a tap away).
      rehearsalId:
        state.status === 'scheduled' ? await live.runningRehearsal(state.sessionId) : undefined,
      consoleLabels: consoleLabels(req.t),
    });
  });

  return router;
}

function statusLabels(t: TFunction) {
  return {
    scheduled: t('live.status.scheduled'),
    live: t('live.status.live'),
    ended: t('live.status.ended'),
  };
}

function roomLabels(t: TFunction) {
  return {
    buy: t('live.buy'),
    soldOutShort: t('live.soldOut'),
    payNow: t('orders.pay'),
    won: t('live.won'),
    wonNeedsAddress: t('live.wonNeedsAddress'),
    sending: t('live.sending'),
    countdown: t('live.countdown'),
    flashOver: t('live.flashOver'),
    bought: t('live.bought'),
    waitlisted: t('live.waitlisted'),
    yourTurn: t('live.yourTurn'),
    shipTo: t('live.shipTo'),
    changeAddress: t('live.changeAddress'),
    addressTitle: t('live.addressSheet'),
    changeAddressTitle: t('live.changeAddressTitle'),
    addressChanged: t('live.addressChanged'),
    tryAgain: t('errors.tryAgain'),
    auth: {
      upTitle: t('live.auth.upTitle'),
      inTitle: t('live.auth.inTitle'),
      upSubmit: t('live.auth.upSubmit'),
      inSubmit: t('live.auth.inSubmit'),
      haveAccount: t('accounts.haveAccount'),
      noAccount: t('accounts.noAccount'),
      signIn: t('accounts.signIn'),
      signUp: t('accounts.signUp'),
      signedIn: t('live.auth.signedIn'),
    },
    status: statusLabels(t),
    coupons: couponLabels(t),
    giveaways: giveawayLabels(t),
    rehearsalOrder: t('rehearsal.order', { orderNo: '{{orderNo}}' }),
    rehearsalEnded: t('rehearsal.ended'),
  };
}

/** How the room and the console write a lucky bag (placeholders filled by the page). */
function giveawayLabels(t: TFunction) {
  const keep = (...names: string[]) => Object.fromEntries(names.map((n) => [n, `{{${n}}}`]));
  const plain = [
    'heading',
    'enter',
    'entered',
    'drawing',
    'winnersHeading',
    'noEntrants',
    'youWon',
    'youWonCoupon',
    'youLost',
    'record',
    'enteredNote',
    'enteredByComment',
  ];
  return {
    ...Object.fromEntries(plain.map((k) => [k, t(`giveaways.${k}`)])),
    prizeSku: t('giveaways.prizeSku', keep('title', 'spec')),
    prizeCoupon: t('giveaways.prizeCoupon', keep('off', 'min')),
    winnersCount: t('giveaways.winnersCount', keep('count')),
    enterKeyword: t('giveaways.enterKeyword', keep('keyword')),
    entries: t('giveaways.entries', keep('count')),
    endsIn: t('giveaways.endsIn', keep('time')),
    shortBy: t('giveaways.shortBy', keep('count')),
    youWonOrder: t('giveaways.youWonOrder', keep('orderNo')),
    yourToken: t('giveaways.yourToken', keep('token')),
    drawNow: t('giveaways.start.drawNow'),
    drawn: t('giveaways.start.drawn', keep('count')),
    started: t('giveaways.start.started', keep('time')),
  };
}

/** How the room and the console write a coupon and its state (money filled in by the page). */
function couponLabels(t: TFunction) {
  // Placeholders stay for the page to fill: {{off}}, {{min}}, {{cap}}, {{percent}}, {{count}}.
  const keep = { off: '{{off}}', min: '{{min}}', cap: '{{cap}}', percent: '{{percent}}' };
  return {
    amount: t('coupons.amount', keep),
    amountOver: t('coupons.amountOver', keep),
    percent: t('coupons.percent', keep),
    percentOver: t('coupons.percentOver', keep),
    claim: t('coupons.claim'),
    claimed: t('coupons.claimed'),
    used: t('coupons.used'),
    gone: t('coupons.gone'),
    left: t('coupons.left', { count: '{{count}}' }),
    claimedNote: t('coupons.claimedNote', { label: '{{label}}' }),
    dropped: t('coupons.drop.dropped', { count: '{{count}}', label: '{{label}}' }),
  };
}

function consoleLabels(t: TFunction) {
  return {
    startsIn: t('live.startsIn'),
    startsNow: t('live.startsNow'),
    delete: t('live.delete'),
    mute: t('live.mute'),
    countdown: t('live.countdown'),
    flashOver: t('live.flashOver'),
    status: statusLabels(t),
    coupons: couponLabels(t),
    giveaways: giveawayLabels(t),
    recordingSaved: t('replay.recordingSaved'),
    crowdStarted: t('rehearsal.crowdStarted', { viewers: '{{viewers}}' }),
  };
}
