// Handover to the couriers: each courier's manifest of packed parcels (as PDF or CSV), and the
// driver's signature, after which the listed parcels have left the hub.
import { chinaDay } from '../core/china-time.ts';
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import { Conflict, Invalid, NotFound } from '../core/errors.ts';
import { pickLocalized } from '../core/localized-text.ts';
import { parseInput, plainText } from '../core/validation.ts';
import { CourierModel } from './courier.model.ts';
import { HubFloor } from './hub-floor.ts';
import {
  renderManifestCsv,
  renderManifestPdf,
  type HandoverManifest,
} from './labels/handover-manifest.ts';
import { ParcelModel } from './parcel.model.ts';

export class CourierHandover extends HubFloor {
  /**
   * The courier's manifest: by default the parcels packed and waiting for it (the next number
   * of the day); with `manifestNo`, a signed one as it was handed over (for a reprint).
   */
  async manifest(actor: Actor | undefined, courierCode: string, signedNo?: string) {
    const hub = await this.hubOf(actor);
    const courier = await CourierModel.findOne({ code: String(courierCode) }).lean();
    if (!courier) throw new NotFound('errors.unknownCourier');
    const date = chinaDay(new Date());
    const prefix = `M${date.replaceAll('-', '')}-${courier.code.toUpperCase()}-`;
    let manifestNo: string;
    let parcels;
    if (signedNo) {
      manifestNo = String(signedNo);
      parcels = await ParcelModel.find({
        hubId: hub._id,
        courierCode: courier.code,
        manifestNo,
      }).lean();
    } else {
      const signedToday = await ParcelModel.distinct('manifestNo', {
        hubId: hub._id,
        courierCode: courier.code,
        handedOverAt: { $gte: new Date(`${date}T00:00:00+08:00`) },
      });
      manifestNo = `${prefix}${signedToday.length + 1}`;
      parcels = await ParcelModel.find({
        hubId: hub._id,
        courierCode: courier.code,
        status: 'packed',
      }).lean();
    }
    const signed = signedNo ? parcels : [];
    const manifest: HandoverManifest = {
      manifestNo,
      courier: { code: courier.code, name: pickLocalized(courier.name, 'zh-CN') },
      hub: { name: pickLocalized(hub.name, 'zh-CN'), address: hub.address, phone: hub.phone },
      date,
      parcels: parcels.map((p) => ({
        parcelNo: p.parcelNo,
        waybillNo: p.waybillNo!,
        destination: `${p.address.province}${p.address.city}${p.address.county}`,
        weightGrams: p.weightGrams ?? 0,
        itemCount: p.lines.reduce((s, l) => s + l.quantity - l.short, 0),
      })),
      ...(signed[0]?.handedOverAt
        ? { signedOff: { by: signed[0].handedOverBy ?? '', at: signed[0].handedOverAt } }
        : {}),
    };
    if (manifest.parcels.length === 0)
      throw new Invalid('errors.manifestEmpty', [{ field: 'courier', code: 'empty' }], {
        courier: courier.code,
        date,
      });
    return manifest;
  }

  manifestPdf(manifest: HandoverManifest): Promise<Buffer> {
    return renderManifestPdf(manifest);
  }

  manifestCsv(manifest: HandoverManifest): string {
    return renderManifestCsv(manifest);
  }

  /** The courier's driver signs for the listed parcels: they leave the hub. */
  async signOffManifest(actor: Actor | undefined, courierCode: string, raw: unknown) {
    const { collector } = parseInput(
      z.object({
        collector: plainText('validation.collector', { min: 2, max: 40 }),
      }),
      raw,
    );
    const manifest = await this.manifest(actor, courierCode);
    if (manifest.signedOff) throw new Conflict('errors.alreadySigned');
    const hub = await this.hubOf(actor);
    const at = new Date();
    for (const p of manifest.parcels) {
      await this.deps.locks.withParcel(p.parcelNo, async () => {
        // Held or cancelled since the list was drawn up: it stays at the hub. Already scanned
        // by the courier (the scan came first): it keeps that status, and joins the manifest.
        const current = await ParcelModel.findOne({ parcelNo: p.parcelNo }, { status: 1 }).lean();
        const scanned = ['in_transit', 'at_station', 'delivered', 'failed'];
        if (current?.status !== 'packed' && !scanned.includes(current?.status ?? '')) return;
        await ParcelModel.updateOne(
          { parcelNo: p.parcelNo },
          {
            $set: {
              ...(current!.status === 'packed' ? { status: 'handed_over' } : {}),
              manifestNo: manifest.manifestNo,
              handedOverAt: at,
              handedOverBy: collector,
            },
          },
        );
      });
    }
    this.changed(
      hub._id,
      manifest.parcels.map((p) => p.parcelNo),
    );
    return { manifestNo: manifest.manifestNo, parcels: manifest.parcels.length };
  }
}
