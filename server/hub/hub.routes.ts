// The hub's tablet screens. Pages are server-rendered; scans go to small JSON endpoints so the
// scanner (which types the barcode and presses Enter) never leaves the page.
import { chinaDay } from '../core/china-time.ts';
import { Router, type Request, type Response } from 'express';
import { randomBytes } from 'node:crypto';
import { requireRole } from '../accounts/guards.ts';
import { formErrorLocals } from '../core/http/form-errors.ts';
import { Invalid } from '../core/errors.ts';
import { pickLocalized } from '../core/localized-text.ts';
import type { HubService } from './hub-service.ts';
import type { HubReceiving } from './receiving-service.ts';
import { summariseChoice, type CourierChoice } from './courier-choice.ts';
import { CourierModel } from './courier.model.ts';
import { INSPECTION_ITEMS, PROCESSING_STEPS } from './receiving-service.ts';
import { receiveDocument } from '../trace/uploads.ts';

export function hubRoutes(services: { hub: HubService; receiving: HubReceiving }): Router {
  const router = Router();
  const { hub } = services;
  router.use(['/hub', '/api/hub'], requireRole('hub_staff'));

  // The status stays as set when a refused form shows this screen again (error-handler.ts).
  const overview = async (req: Request, res: Response, status = res.statusCode, extra = {}) => {
    const view = await hub.overview(req.actor);
    const nameOf = await courierNames(req.locale);
    res.status(status).render('hub/index', {
      title: req.t('hub.title'),
      ...view,
      waveCandidates: view.waveCandidates.map((w) => ({ ...w, couriers: w.couriers.map(nameOf) })),
      alerts: view.alerts.map((a) => ({ ...a, courierName: nameOf(a.courierCode ?? '') })),
      producers: await services.receiving.producers(req.actor),
      processingSteps: PROCESSING_STEPS,
      inspectionItems: INSPECTION_ITEMS,
      hubName: pickLocalized(view.hub.name, req.locale),
      manifests: view.manifests.map((m) => ({
        ...m,
        courierName: m.courierName ? pickLocalized(m.courierName, req.locale) : m.courierCode,
      })),
      today: chinaDay(new Date()),
      received: req.query.received,
      signed: typeof req.query.signed === 'string' ? req.query.signed : undefined,
      signedCourier: typeof req.query.courier === 'string' ? req.query.courier : undefined,
      // One per form: a second tap on 收货入库 is recognised and counts nothing twice.
      receiptId: randomBytes(12).toString('hex'),
      ...extra,
    });
  };

  router.get('/hub', (req, res) => overview(req, res));

  // The inspection report comes as a file; CSRF then travels in the query string (?_csrf=).
  const reportUpload = receiveDocument('report');
  router.post('/hub/batches', reportUpload, async (req, res) => {
    try {
      const { batchNo, sellable } = await services.receiving.receiveBatch(
        req.actor,
        req.body,
        req.file,
      );
      res.redirect(303, `/hub?received=${batchNo}${sellable ? '' : '&held=1'}`);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      await overview(req, res, 400, formErrorLocals(req, error));
    }
  });

  router.get('/hub/batches', async (req, res) => {
    const result = typeof req.query.result === 'string' ? req.query.result : undefined;
    res.render('hub/batches', {
      title: req.t('hub.batches'),
      result,
      batches: await services.receiving.batchesByInspection(req.actor, result),
    });
  });

  router.post('/hub/waves', async (req, res) => {
    const { waveNo } = await hub.startWave(req.actor, req.body);
    res.redirect(303, `/hub/waves/${waveNo}`);
  });

  router.get('/hub/waves/:waveNo', async (req, res) => {
    const list = await hub.pickList(req.actor, req.params.waveNo);
    const nameOf = await courierNames(req.locale);
    res.render('hub/wave', {
      title: `${req.t('hub.wave')} ${list.waveNo}`,
      ...list,
      parcels: list.parcels.map((p) => ({ ...p, courierName: nameOf(p.courierCode ?? '') })),
      hubLabels: scanLabels(req),
    });
  });

  router.post('/api/hub/waves/:waveNo/pick', async (req, res) => {
    res.json(await hub.scanPick(req.actor, req.params.waveNo, req.body));
  });

  router.get('/hub/parcels/:parcelNo', async (req, res) => {
    const parcel = await hub.parcel(req.actor, req.params.parcelNo);
    const nameOf = await courierNames(req.locale);
    res.render('hub/parcel', {
      title: `${req.t('hub.parcel')} ${parcel.parcelNo}`,
      parcel,
      courierName: parcel.courierCode ? nameOf(parcel.courierCode) : '',
      lines: parcel.lines.map((l) => ({ ...l, toPack: l.quantity - l.short })),
      choice: parcel.courierChoice
        ? summariseChoice(
            { kind: 'chosen', ...parcel.courierChoice } as unknown as CourierChoice,
            req.t,
            nameOf,
          )
        : '',
      canPack: parcel.status === 'picking',
      canPrint: ['packed', 'handed_over', 'in_transit', 'at_station'].includes(parcel.status),
      hubLabels: scanLabels(req),
    });
  });

  router.post('/api/hub/parcels/:parcelNo/pack', async (req, res) => {
    res.json(await hub.scanPack(req.actor, req.params.parcelNo, req.body));
  });

  router.post('/hub/parcels/:parcelNo/weight', async (req, res) => {
    await hub.finishPacking(req.actor, req.params.parcelNo, req.body);
    res.redirect(303, `/hub/parcels/${req.params.parcelNo}?packed=1`);
  });

  router.get('/hub/parcels/:parcelNo/label.pdf', async (req, res) => {
    const pdf = await hub.label(req.actor, req.params.parcelNo);
    res
      .type('application/pdf')
      .set('content-disposition', `inline; filename="label-${req.params.parcelNo}.pdf"`)
      .send(pdf);
  });

  router.post('/hub/parcels/:parcelNo/void', async (req, res) => {
    await hub.voidLabel(req.actor, req.params.parcelNo);
    res.redirect(303, `/hub/parcels/${req.params.parcelNo}?voided=1`);
  });

  router.post('/hub/parcels/:parcelNo/exceptions', async (req, res) => {
    await hub.reportException(req.actor, req.params.parcelNo, req.body);
    res.redirect(303, `/hub/parcels/${req.params.parcelNo}?exception=1`);
  });

  router.get('/hub/manifests/:courier.:format', async (req, res) => {
    const signedNo = typeof req.query.no === 'string' ? req.query.no : undefined;
    const manifest = await hub.manifest(req.actor, req.params.courier, signedNo);
    const name = `manifest-${manifest.manifestNo}`;
    if (req.params.format === 'csv') {
      res
        .type('text/csv; charset=utf-8')
        .set('content-disposition', `attachment; filename="${name}.csv"`)
        .send(hub.manifestCsv(manifest));
      return;
    }
    if (req.params.format !== 'pdf') {
      res.status(404).end();
      return;
    }
    res
      .type('application/pdf')
      .set('content-disposition', `inline; filename="${name}.pdf"`)
      .send(await hub.manifestPdf(manifest));
  });

  router.post('/hub/manifests/:courier/sign-off', async (req, res) => {
    const { manifestNo } = await hub.signOffManifest(req.actor, req.params.courier, req.body);
    res.redirect(
      303,
      `/hub?signed=${encodeURIComponent(manifestNo)}&courier=${req.params.courier}`,
    );
  });

  return router;
}

/** What the scanning script says when a scan gets no answer at all. */
function scanLabels(req: Request) {
  return { scanFailed: req.t('hub.scanFailed') };
}

/** Courier names in the reader's language, for screens that would otherwise show codes. */
async function courierNames(locale: string): Promise<(code: string) => string> {
  const couriers = await CourierModel.find({}, { code: 1, name: 1 }).lean();
  const names = new Map(couriers.map((c) => [c.code, pickLocalized(c.name, locale)]));
  return (code) => names.get(code) ?? code;
}
